// PM2: `npm run build && pm2 start ecosystem.config.cjs && pm2 save && pm2 startup`
// (.cjs because the service is an ES module package; PM2 reads CommonJS.)
module.exports = {
  apps: [
    {
      name: 'whatsapp-osticket',
      script: 'dist/main.js',
      cwd: __dirname,
      instances: 1, // one WhatsApp connection per number: never cluster
      exec_mode: 'fork',
      autorestart: true,
      // Exit code 78 = bad configuration: restarting would not help.
      stop_exit_codes: [78],
      kill_timeout: 25000, // graceful shutdown finishes in-flight deliveries
      max_memory_restart: '512M',
      env: { NODE_ENV: 'production' },
    },
  ],
};
