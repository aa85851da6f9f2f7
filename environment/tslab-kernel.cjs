#!/usr/bin/env node
/**
 * The workbook's tslab kernel: tslab itself, with every ZeroMQ socket's sends queued and
 * receives made during a bind waiting for it.
 *
 * Why: zeromq 6 sends up to 512 messages on a socket synchronously; the 513th is deferred
 * to the event loop, and a second send on that socket before it completes throws EBUSY
 * ("Socket is busy writing; only one send operation may be in progress at any time").
 * tslab 1.0.22 fires its sends without awaiting them, so once a kernel has published 512
 * messages on iopub, two in the same tick (a display and the `idle` status after a cell, or
 * two displays in a loop) raise it: in a cell it is an error, in tslab's status publisher
 * it is an uncaught rejection and the kernel dies. The default profile's 04 notebook died
 * this way. Chaining each socket's sends keeps their order and never overlaps them; and
 * the iopub publisher keeps every output instead of dropping those past 1000 in flight.
 *
 * environment/setup.sh registers this file as the kernel spec's binary; it takes the same
 * arguments as tslab's own (`kernel --config-path FILE`).
 */
'use strict';
const path = require('path');

const tslabDir = path.dirname(require.resolve('tslab/package.json'));
const zmq = require(require.resolve('zeromq', { paths: [tslabDir] }));

const nativeSend = zmq.Socket.prototype.send;
if (typeof nativeSend !== 'function') throw new Error('tslab-kernel: zeromq.Socket.prototype.send not found; the send queue cannot be installed');
// A socket's unsettled send, if any. The first send goes straight to zeromq, as tslab
// expects; a send made while another is unsettled waits for it.
const tails = new WeakMap();
function queuedSend(...args) {
  const tail = tails.get(this);
  const sent = tail ? tail.then(() => nativeSend.apply(this, args)) : nativeSend.apply(this, args);
  const settled = Promise.resolve(sent).then(
    () => undefined,
    () => undefined,
  ).then(() => {
    if (tails.get(this) === settled) tails.delete(this);
  });
  tails.set(this, settled);
  return sent;
}
// zeromq defines `send` read-only (but configurable), so it is redefined, not assigned.
Object.defineProperty(zmq.Socket.prototype, 'send', { value: queuedSend, writable: false, enumerable: false, configurable: true });

// tslab starts each socket's receive loop before binding it. A message can arrive before
// zeromq has run the bind's completion, and the loop's next receive then finds the socket
// still "blocked by a bind" (EBUSY). tslab logs that rejection and goes on without the
// loop: a dead shell loop means the kernel never answers, and Jupyter gives up after 60 s
// ("Kernel didn't respond"), which is how a CI run failed on a loaded machine. A receive
// refused that way waits for the bind to complete (a few milliseconds) and is made again.
const nativeReceive = zmq.Socket.prototype.receive;
if (typeof nativeReceive !== 'function') throw new Error('tslab-kernel: zeromq.Socket.prototype.receive not found; the bind wait cannot be installed');
const BIND_WAIT_MS = 10_000;
function receiveAfterBind(...args) {
  const started = Date.now();
  const attempt = () => {
    try {
      return nativeReceive.apply(this, args);
    } catch (e) {
      if (e && e.code === 'EBUSY' && /bind or unbind/.test(String(e.message)) && Date.now() - started < BIND_WAIT_MS) {
        return new Promise((resolve) => setTimeout(resolve, 2)).then(attempt);
      }
      throw e;
    }
  };
  return attempt();
}
Object.defineProperty(zmq.Socket.prototype, 'receive', { value: receiveAfterBind, writable: false, enumerable: false, configurable: true });

// iopub is a PUB socket: past its high-water mark (1000 queued messages) zeromq drops
// outputs silently. A cell that displays faster than Jupyter reads would lose some, so the
// kernel's publisher keeps them all (0 = no limit).
const Publisher = zmq.Publisher;
zmq.Publisher = class UnboundedPublisher extends Publisher {
  constructor(...args) {
    super(...args);
    this.sendHighWaterMark = 0;
  }
};

// Started by `npm run workbook`: exit when that runner is gone. Jupyter starts a kernel in a
// session of its own, so none of the runner's signals reach it, and a runner killed with
// SIGKILL would otherwise leave this kernel finishing its cell, writing into the run folder,
// then idling for good.
const owner = Number(process.env.WORKBOOK_RUNNER_PID);
if (Number.isInteger(owner) && owner > 0) {
  const gone = () => {
    try {
      process.kill(owner, 0);
      return false;
    } catch (e) {
      return e.code === 'ESRCH';
    }
  };
  setInterval(() => {
    if (gone()) {
      process.stderr.write(`tslab-kernel: the workbook runner (pid ${owner}) is gone; exiting\n`);
      process.exit(143);
    }
  }, 1000).unref();
}

// Required rather than run (by a test of the patches above): install them, start nothing.
if (require.main === module) require(path.join(tslabDir, 'dist', 'main.js')).main();
