// An Artillery reporter (CUSTOM_REPORTERS) that `inferload run` adds to every Artillery run: it
// appends each 10-second period Artillery reports, as one line of JSON, to the file named by
// INFERLOAD_ARTILLERY_PERIODS. Artillery writes its --output report only when a run ends; a run
// stopped early (Ctrl-C, the kill switch) keeps what it measured in this file instead.
'use strict';

const fs = require('fs');

module.exports = function createReporter(events) {
  const path = process.env.INFERLOAD_ARTILLERY_PERIODS;
  if (path) {
    events.on('stats', (stats) => {
      const period = {
        period: stats.period,
        firstMetricAt: stats.firstMetricAt,
        lastMetricAt: stats.lastMetricAt,
        counters: stats.counters || {},
        rates: stats.rates || {},
        summaries: stats.summaries || {},
      };
      fs.appendFileSync(path, `${JSON.stringify(period)}\n`);
    });
  }
  return {};
};
