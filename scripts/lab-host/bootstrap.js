// Module federation needs an async boundary before shared modules are used: set the public
// path from the page config, then load the app.
const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
// eslint-disable-next-line no-undef
__webpack_public_path__ = config.fullStaticUrl + '/';
window._JUPYTERLAB = window._JUPYTERLAB || {};
import('./index.js');
