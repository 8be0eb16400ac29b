// Jest for @mlinfn/monitor (the shared front-end config).
module.exports = require('../../jest.packages')(__dirname);
