import { startCluster } from '/work/wt-14/scripts/pg-cluster.mjs';
const c = await startCluster({ durable: true });
console.log(c.url);
process.on('SIGTERM', () => { c.stop(); process.exit(0); });
setInterval(() => {}, 1000);
