#!/usr/bin/env node
// The tslab kernel (what scripts/setup.sh registers with Jupyter), with one fix: its messages to
// Jupyter go out one at a time.
//
// tslab sends every message with zeromq's send() without waiting for the one before. zeromq 6
// refuses a send while another is still queued ("Socket is busy writing", EBUSY), which happens
// when Jupyter reads slowly (a busy CPU, large outputs); the exception then killed the kernel, and
// the learner's model with it. Here each socket's sends wait for the one before; a send that fails
// anyway is reported on stderr, and the kernel goes on.
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

module.exports = { serializeSends };

if (require.main === module) {
  const tslab = path.dirname(require.resolve('tslab/package.json'));
  serializeSends(require(require.resolve('zeromq', { paths: [tslab] })).Socket);
  require(path.join(tslab, 'dist', 'main.js')).main();
}
