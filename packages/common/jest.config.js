// Jest for @mlinfn/common (the shared front-end config, less the generated schema types).
module.exports = require('../../jest.packages')(__dirname, ['src/schema.ts']);
