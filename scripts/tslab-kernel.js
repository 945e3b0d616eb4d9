#!/usr/bin/env node
// The tslab kernel (what scripts/setup.sh registers with Jupyter), with one fix: its messages to
// Jupyter go out one at a time.
//
// tslab sends every message with zeromq's send() without waiting for the one before. zeromq 6
// refuses a send while another is still queued ("Socket is busy writing", EBUSY), which happens
// when Jupyter reads slowly (a busy CPU, large outputs); the exception then killed the kernel, and
// the learner's model with it. Here each socket's sends wait for the one before; a send that fails
// anyway is reported on stderr, and the kernel goes on.
//
// A server that stops without shutting its kernels down (jupyter_server 1.23 on a second Ctrl-C,
// or killed with SIGKILL) leaves them orphaned, and tslab, unlike ipykernel, does not notice: it
// would run on, holding its memory and, mid-training, its cores. So the kernel watches its parent
// process and exits when the parent is gone (this process is then re-parented, to PID 1 or a
// subreaper, and process.ppid changes).
'use strict';
const path = require('path');

/** Make the sends of every socket of `SocketClass` wait for the one before, and never throw. */
function serializeSends(SocketClass) {
  const send = SocketClass.prototype.send;
  const queues = new WeakMap();
  // (zeromq defines send read-only, but configurable)
  Object.defineProperty(SocketClass.prototype, 'send', {
    configurable: true,
    writable: false,
    value: function (message) {
      const previous = queues.get(this) ?? Promise.resolve();
      const next = previous.then(() => send.call(this, message)).catch(e => {
        console.error(`llm-lab: a kernel message could not be sent: ${e && e.message}`);
      });
      queues.set(this, next);
      return next;
    }
  });
}

/**
 * Exit when the process that started this one (the Jupyter server) is gone: poll process.ppid
 * every `intervalMs`. Jupyter starts kernels in a session of their own, so a Ctrl-C on the
 * server's terminal never reaches them; this is how they end with it.
 */
function exitWithParent(intervalMs = 1000) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    console.error(`llm-lab: the Jupyter server (pid ${parent}) is gone, so this kernel (pid ${process.pid}) exits`);
    process.exit(0);
  }, intervalMs);
  timer.unref(); // the watch alone never keeps the kernel alive
}

module.exports = { serializeSends, exitWithParent };

if (require.main === module) {
  const tslab = path.dirname(require.resolve('tslab/package.json'));
  serializeSends(require(require.resolve('zeromq', { paths: [tslab] })).Socket);
  exitWithParent();
  require(path.join(tslab, 'dist', 'main.js')).main();
}
