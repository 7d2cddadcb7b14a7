// Shared by the retrieval tests that ask as a bug report does.
/** The rest of a bug report, in words no test chunk holds: what makes a question a report (300+ characters). */
export const REPORT_BODY =
  'Steps to reproduce: upgrade to the newest release, run the build twice in a row and watch the log. ' +
  'Expected: the second run finishes quietly. Actual: it hangs for about a minute, then prints a warning ' +
  'about an unexpected state. Seen on macOS and Linux with Node 20; going back to the previous release fixes it.';
