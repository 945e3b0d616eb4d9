/**
 * The course UI: a left-sidebar panel listing the course notebooks (the .ipynb files at the
 * server root, in name order, titled by their first markdown heading), and a launcher card /
 * command "LLM Lab: open the course". Nothing here may break the lab: a failing contents API
 * shows a message in the panel, and the launcher is optional.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILauncher } from '@jupyterlab/launcher';
import { CoursePanel } from './course-panel';

const OPEN_COURSE = 'llm-lab:open-course';

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@llm-lab/jupyterlab:course',
  description: 'The LLM Lab course panel and launcher entry.',
  autoStart: true,
  optional: [ILauncher, ILayoutRestorer],
  activate: (app: JupyterFrontEnd, launcher: ILauncher | null, restorer: ILayoutRestorer | null) => {
    const contents = app.serviceManager.contents;
    const openNotebook = (path: string) => app.commands.execute('docmanager:open', { path });
    const panel = new CoursePanel(contents, openNotebook);
    app.shell.add(panel, 'left', { rank: 150 });
    restorer?.add(panel, panel.id);
    // Notebooks added, renamed or deleted at the top folder while the lab is open.
    contents.fileChanged.connect((_, change) => {
      const paths = [change.oldValue?.path, change.newValue?.path];
      if (paths.some(path => typeof path === 'string' && !path.includes('/'))) panel.scheduleRefresh();
    });
    void panel.refresh();

    app.commands.addCommand(OPEN_COURSE, {
      // The launcher card sits under an "LLM Lab" heading already.
      label: args => (args.isLauncher ? 'Open the course' : 'LLM Lab: open the course'),
      caption: 'Show the LLM Lab course panel and open the first notebook',
      iconClass: 'llm-lab-course-icon',
      execute: async () => {
        app.shell.activateById(panel.id);
        const notebooks = await panel.refresh();
        if (notebooks.length) await openNotebook(notebooks[0].path);
      }
    });
    launcher?.add({ command: OPEN_COURSE, args: { isLauncher: true }, category: 'LLM Lab', rank: 0 });
  }
};

export default plugin;
