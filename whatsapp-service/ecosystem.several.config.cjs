// PM2 with two WhatsApp numbers (README: "Several numbers"): one app per number,
// each with its own .env (port, WEBHOOK_URL with the plugin instance's ?instance=<id>,
// secrets) and its own DATA_DIR and AUTH_DIR. Never share those folders: a second
// process on them exits with 78 instead of taking the number offline.
//   npm run build && pm2 start ecosystem.several.config.cjs && pm2 save
const app = (name, envFile, dataDir) => ({
  name: `whatsapp-${name}`,
  script: 'dist/main.js',
  cwd: __dirname,
  instances: 1, // one WhatsApp connection per number: never cluster
  exec_mode: 'fork',
  autorestart: true,
  stop_exit_codes: [78],
  kill_timeout: 25000,
  max_memory_restart: '512M',
  env: { NODE_ENV: 'production', ENV_FILE: envFile, DATA_DIR: `${dataDir}/data`, AUTH_DIR: `${dataDir}/auth_info` },
});

module.exports = {
  apps: [
    app('support', `${__dirname}/support.env`, `${__dirname}/numbers/support`),
    app('sales', `${__dirname}/sales.env`, `${__dirname}/numbers/sales`),
  ],
};
