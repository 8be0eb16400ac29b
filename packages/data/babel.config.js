// babel-jest turns the ES modules that JupyterLab's dependencies ship into CommonJS for Jest.
module.exports = require('@jupyterlab/testutils/lib/babel.config');
