// The JupyterLab 4 frontend assembled from npm packages, as a module-federation HOST: like a
// pip-installed JupyterLab it bundles the core plugins and loads PREBUILT labextensions (ours
// included) at run time from page_config.federated_extensions. Modeled on JupyterLab's
// examples/app and dev_mode webpack configs.
const path = require('path');
const webpack = require('webpack');
const TerserPlugin = require('terser-webpack-plugin');
const MiniCssExtractPlugin = require('mini-css-extract-plugin');
const miniSVGDataURI = require('mini-svg-data-uri');
const { Build } = require('@jupyterlab/builder');
const data = require('./package.json');
const core = require('@jupyterlab/core-meta/core.package.json');

const output = path.resolve(__dirname, 'build');
// Writes build/style.js, build/schemas/**, build/themes/** for the core plugins.
const assets = Build.ensureAssets({ packageNames: [...data.jupyterlab.extensions, ...data.jupyterlab.mimeExtensions], output });

// Share every installed core package with the prebuilt extensions, with JupyterLab's own
// version ranges and singletons, so an extension uses the host's copy.
const shared = {};
for (const [pkg, requiredVersion] of Object.entries(core.resolutions)) {
  try {
    require.resolve(`${pkg}/package.json`);
  } catch {
    continue;
  }
  shared[pkg] = { requiredVersion };
}
for (const pkg of core.jupyterlab.singletonPackages) if (shared[pkg]) shared[pkg].singleton = true;

module.exports = [
  {
    entry: ['./bootstrap.js'],
    output: { path: output, filename: 'bundle.js', publicPath: 'auto' },
    bail: true,
    devtool: false,
    mode: process.env.LLM_LAB_DEV ? 'development' : 'production',
    module: {
      rules: [
        { test: /\.css$/, exclude: /\.raw\.css$/, use: [MiniCssExtractPlugin.loader, 'css-loader'] },
        { test: /\.raw\.css$/, type: 'asset/source' },
        { test: /\.html$/, type: 'asset/resource' },
        { test: /\.md$/, type: 'asset/source' },
        { test: /\.(jpg|png|gif)$/, type: 'asset/resource' },
        { test: /\.js.map$/, type: 'asset/resource' },
        { test: /\.(woff2?|ttf)(\?v=\d+\.\d+\.\d+)?$/, type: 'asset' },
        { test: /\.eot(\?v=\d+\.\d+\.\d+)?$/, type: 'asset/resource' },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.css$/, type: 'asset/inline', generator: { dataUrl: c => miniSVGDataURI(c.toString()) } },
        { test: /\.svg(\?v=\d+\.\d+\.\d+)?$/, issuer: /\.js$/, type: 'asset/source' },
        { test: /\.m?js$/, resolve: { fullySpecified: false } }
      ]
    },
    resolve: { fallback: { util: false, path: false, fs: false, url: false, crypto: false, buffer: false, stream: false } },
    // Minified by esbuild rather than terser: about the same size, in seconds instead of minutes
    // (terser took most of a 3-minute build on 2 cores).
    optimization: { minimizer: [new TerserPlugin({ minify: TerserPlugin.esbuildMinify, terserOptions: { target: 'es2022' } })] },
    performance: { hints: false },
    plugins: [
      new webpack.DefinePlugin({ process: { cwd: () => '/', env: {} } }),
      new MiniCssExtractPlugin({ filename: '[name].[contenthash:8].css' }),
      new webpack.container.ModuleFederationPlugin({
        library: { type: 'var', name: ['_JUPYTERLAB', 'CORE_LIBRARY_FEDERATION'] },
        name: 'CORE_FEDERATION',
        shared
      })
    ]
  }
].concat(assets);
