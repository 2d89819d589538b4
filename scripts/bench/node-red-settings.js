// Node-RED settings for scripts/bench-daemon.sh: headless, loopback only, no editor, quiet log.
module.exports = {
    uiHost: '127.0.0.1',
    uiPort: Number(process.env.NODE_RED_PORT || 1880),
    flowFile: process.env.NODE_RED_FLOW_FILE,
    credentialSecret: false,
    disableEditor: true,
    httpAdminRoot: '/admin',
    httpNodeRoot: '/',
    logging: { console: { level: 'info', metrics: false, audit: false } },
    contextStorage: { default: { module: 'memory' } },
    exportGlobalContextKeys: false,
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    diagnostics: { enabled: false },
    runtimeState: { enabled: false },
    telemetry: { enabled: false },
};
