// ts-jest only transpiles (isolatedModules in tsconfig.test.json): `tsc -p tsconfig.test.json`
// does the type checking, which keeps the suite fast on small machines.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }]
  },
  testTimeout: 20000
};
