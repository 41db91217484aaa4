// PM2 with two WhatsApp numbers (README: "Several numbers"): one app per number,
// each with its own .env (port, WEBHOOK_URL with the plugin instance's ?instance=<id>,
// secrets) and its own DATA_DIR and AUTH_DIR. Never share those folders: a second
// process on them exits with 78 instead of taking the number offline.
//   npm run build && pm2 start ecosystem.several.config.cjs && pm2 save
const [single] = require('./ecosystem.config.cjs').apps;

const app = (name, envFile, dataDir) => ({
  ...single,
  name: `whatsapp-${name}`,
  env: { ...single.env, ENV_FILE: envFile, DATA_DIR: `${dataDir}/data`, AUTH_DIR: `${dataDir}/auth_info` },
});

module.exports = {
  apps: [
    app('support', `${__dirname}/support.env`, `${__dirname}/numbers/support`),
    app('sales', `${__dirname}/sales.env`, `${__dirname}/numbers/sales`),
  ],
};
