// Jest for @mlinfn/data (the shared front-end config).
module.exports = require('../../jest.packages')(__dirname);
