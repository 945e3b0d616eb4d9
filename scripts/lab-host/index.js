// Start JupyterLab with the core plugins bundled here and every prebuilt (federated)
// labextension that jupyterlab_server lists in page_config.federated_extensions.
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import './build/style.js';

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.onerror = reject;
    s.onload = resolve;
    s.async = true;
    s.src = url;
    document.head.appendChild(s);
  });
}

async function loadContainer(url, scope) {
  await loadScript(url);
  // eslint-disable-next-line no-undef
  await __webpack_init_sharing__('default');
  // eslint-disable-next-line no-undef
  await window._JUPYTERLAB[scope].init(__webpack_share_scopes__.default);
}

async function loadModule(scope, module) {
  const factory = await window._JUPYTERLAB[scope].get(module);
  return factory();
}

const pluginsOf = mod => {
  const exp = mod && mod.default ? mod.default : mod;
  return Array.isArray(exp) ? exp : [exp];
};

(async () => {
  const { JupyterLab } = await import('@jupyterlab/application');
  const core = await Promise.all([
    import('@jupyterlab/application-extension'), import('@jupyterlab/apputils-extension'),
    import('@jupyterlab/codemirror-extension'), import('@jupyterlab/completer-extension'),
    import('@jupyterlab/console-extension'), import('@jupyterlab/docmanager-extension'),
    import('@jupyterlab/documentsearch-extension'), import('@jupyterlab/filebrowser-extension'),
    import('@jupyterlab/help-extension'), import('@jupyterlab/launcher-extension'),
    import('@jupyterlab/mainmenu-extension'), import('@jupyterlab/markedparser-extension'),
    import('@jupyterlab/metadataform-extension'),
    // the language-server plugins need a server extension jupyter_server 1.23 does not have
    import('@jupyterlab/notebook-extension').then(m => m.default.filter(({ id }) => !id.includes(':language-server'))),
    import('@jupyterlab/rendermime-extension'), import('@jupyterlab/running-extension'),
    import('@jupyterlab/settingeditor-extension'), import('@jupyterlab/shortcuts-extension'),
    import('@jupyterlab/statusbar-extension'), import('@jupyterlab/theme-light-extension'),
    import('@jupyterlab/theme-dark-extension'), import('@jupyterlab/theme-dark-high-contrast-extension'),
    import('@jupyterlab/toc-extension'), import('@jupyterlab/translation-extension'),
    import('@jupyterlab/ui-components-extension')
  ]);
  const mimeExtensions = [await import('@jupyterlab/json-extension')];

  const federated = JSON.parse(PageConfig.getOption('federated_extensions') || '[]');
  const plugins = [];
  const styles = [];
  const results = await Promise.allSettled(
    federated.map(async ext => {
      await loadContainer(URLExt.join(PageConfig.getOption('fullLabextensionsUrl'), ext.name, ext.load), ext.name);
      return ext;
    })
  );
  for (const r of results) {
    if (r.status === 'rejected') {
      console.error('LLM Lab host: a prebuilt extension failed to load', r.reason);
      continue;
    }
    const ext = r.value;
    if (ext.extension) plugins.push(loadModule(ext.name, ext.extension));
    if (ext.mimeExtension) mimeExtensions.push(await loadModule(ext.name, ext.mimeExtension));
    if (ext.style) styles.push(loadModule(ext.name, ext.style));
  }
  await Promise.all(styles);
  console.log('prebuilt extensions:', federated.map(e => e.name).join(', ') || 'none');

  const lab = new JupyterLab({ mimeExtensions: mimeExtensions.map(m => (m.default ? m.default : m)) });
  lab.registerPlugins(core.map(pluginsOf).flat());
  for (const m of await Promise.all(plugins)) lab.registerPlugins(pluginsOf(m));
  await lab.start();
  await lab.restored;
  window.jupyterapp = lab;
  window.__labReady = true;
})();
