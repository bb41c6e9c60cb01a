// Preloaded into every test process by run.mjs: an unhandled rejection or uncaught exception fails
// the file it happens in, even when it happens after its tests ended (Node's runner only prints a note).
'use strict';

function failTheRun(kind) {
  return (error) => {
    process.stderr.write(`\n[test run] ${kind}: ${(error && error.stack) || error}\n`);
    process.exitCode = 1;
  };
}

process.on('unhandledRejection', failTheRun('unhandledRejection'));
process.on('uncaughtException', failTheRun('uncaughtException'));
