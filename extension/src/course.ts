/**
 * The course UI: a left-sidebar panel listing the course notebooks (in the order of course.json,
 * with what each teaches, its minutes and the learner's progress), resetting one to its pristine
 * copy (scripts/lab-host/main.py serves those), and a launcher card / command "LLM Lab: open the
 * course". Nothing here may break the lab: a failing contents API shows a message in the panel,
 * and the launcher and the document manager are optional.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { ILauncher } from '@jupyterlab/launcher';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import { CoursePanel } from './course-panel';
import { OpenNotebook, resetNotebook, ResetQuestion, ResetSteps } from './course-reset';
import { element } from './renderers/dom';

const OPEN_COURSE = 'llm-lab:open-course';
/** The server's pristine copies of the course notebooks, by file name (scripts/lab-host/main.py). */
const PRISTINE_API = 'llm-lab/api/pristine';

/** The course's pristine copy of notebook `name`; an Error saying why not (the server's reason). */
async function fetchPristine(settings: ServerConnection.ISettings, name: string): Promise<unknown> {
  const url = URLExt.join(settings.baseUrl, PRISTINE_API, encodeURIComponent(name));
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (response.ok) return response.json();
  if (response.status === 404 && !response.headers.get('content-type')?.includes('json')) {
    throw new Error('this server keeps no pristine copies of the course (start it with `npm start` or the class hub)');
  }
  const reason = await response.json().then(
    (body: { message?: string }) => body.message,
    () => undefined
  );
  throw new Error(reason || `the server answered ${response.status} ${response.statusText}`);
}

/** The reset dialog: what will be written where, and what happens to unsaved edits. */
async function confirmReset(question: ResetQuestion): Promise<boolean> {
  const body = new Widget();
  body.addClass('llm-lab-course-dialog');
  body.node.append(
    element('p', '', `${question.name} will be replaced by the course's original copy: its code, text and saved outputs as they came with the course.`),
    element(
      'p',
      '',
      question.backup
        ? `Your current notebook is saved first, next to it, as ${question.backup}. Open it there to get back anything you wrote.`
        : `There is no copy of yours to keep: ${question.name} is not in your folder.`
    )
  );
  if (question.unsaved) {
    body.node.append(element('p', 'llm-lab-course-dialog-warning', 'The notebook is open with unsaved changes: they go into the backup, and the open notebook then shows the original.'));
  }
  const result = await showDialog({
    title: `Reset ${question.name}?`,
    body,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: question.backup ? 'Back up and reset' : 'Restore' })]
  });
  return result.button.accept;
}

/** The open editor of `path` as reset sees it, or null when none is open. */
function openEditor(docManager: IDocumentManager | null, path: string): OpenNotebook | null {
  const widget = docManager?.findWidget(path);
  const context = widget && docManager?.contextForWidget(widget);
  if (!context) return null;
  return { dirty: context.model.dirty, content: () => context.model.toJSON(), revert: () => context.revert() };
}

/** The steps of a reset, done with the lab's contents manager, dialogs and editors. */
function resetSteps(app: JupyterFrontEnd, docManager: IDocumentManager | null): ResetSteps {
  const contents: Contents.IManager = app.serviceManager.contents;
  return {
    listNames: async folder => {
      const listing = await contents.get(folder, { content: true, type: 'directory' });
      return (listing.content as Contents.IModel[]).map(item => item.name);
    },
    readNotebook: async path => {
      try {
        return (await contents.get(path, { content: true, type: 'notebook' })).content;
      } catch (error) {
        if (error instanceof ServerConnection.ResponseError && error.response.status === 404) return null;
        throw error;
      }
    },
    writeNotebook: async (path, content) => {
      await contents.save(path, { type: 'notebook', format: 'json', content });
    },
    pristine: name => fetchPristine(app.serviceManager.serverSettings, name),
    openNotebook: path => openEditor(docManager, path),
    confirm: confirmReset,
    now: () => new Date()
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@llm-lab/jupyterlab:course',
  description: 'The LLM Lab course panel and launcher entry.',
  autoStart: true,
  optional: [ILauncher, ILayoutRestorer, IDocumentManager],
  activate: (app: JupyterFrontEnd, launcher: ILauncher | null, restorer: ILayoutRestorer | null, docManager: IDocumentManager | null) => {
    const contents = app.serviceManager.contents;
    const openNotebook = (path: string) => app.commands.execute('docmanager:open', { path });
    const steps = resetSteps(app, docManager);
    const panel = new CoursePanel(contents, openNotebook, path => resetNotebook(path, steps), name => fetchPristine(app.serviceManager.serverSettings, name));
    app.shell.add(panel, 'left', { rank: 150 });
    restorer?.add(panel, panel.id);
    // Notebooks saved (progress), added, renamed or deleted at the top folder while the lab is open.
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
        const first = (await panel.refresh()).find(entry => !entry.missing);
        if (first) await openNotebook(first.path);
      }
    });
    launcher?.add({ command: OPEN_COURSE, args: { isLauncher: true }, category: 'LLM Lab', rank: 0 });
  }
};

export default plugin;
