// Jest for @mlinfn/burst (the shared front-end config).
module.exports = require('../../jest.packages')(__dirname);
