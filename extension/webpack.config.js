// Merged by @jupyterlab/builder into its production config (package.json jupyterlab.webpackConfig).
// plotly.js-dist-min ships minified: running terser over its 4.6 MB again takes about a minute
// of every build and saves nothing. Its chunk is named "plotly" (see renderers/training.ts).
const TerserPlugin = require('terser-webpack-plugin');

module.exports = {
  optimization: {
    minimizer: [new TerserPlugin({ exclude: /plotly/ })]
  }
};
