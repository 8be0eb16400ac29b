// Jest for @mlinfn/collab (the shared front-end config).
module.exports = require('../../jest.packages')(__dirname);
