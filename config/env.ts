/** Environment variable → path in the config object. One table, so errors can name the variable. */
export const envToPath: Readonly<Record<string, readonly string[]>> = {
  HOST: ['http', 'host'],
  PORT: ['http', 'port'],
  PUBLIC_URL: ['http', 'publicUrl'],
  TRUSTED_PROXIES: ['http', 'trustedProxies'],
  SHUTDOWN_TIMEOUT_SECONDS: ['http', 'shutdownTimeoutSeconds'],
  RTC_LISTEN_IP: ['media', 'listenIp'],
  ANNOUNCED_ADDRESS: ['media', 'announcedAddress'],
  RTC_PORT_BASE: ['media', 'rtcPortBase'],
  MEDIASOUP_WORKERS: ['media', 'numWorkers'],
  MAX_CONSUMERS_PER_ROUTER: ['media', 'maxConsumersPerRouter'],
  IDLE_SESSION_CLOSE_SECONDS: ['media', 'idleSessionCloseSeconds'],
  MEDIASOUP_LOG_LEVEL: ['media', 'workerLogLevel'],
  MEDIASOUP_WORKER_BIN: ['media', 'workerBin'],
  REDIS_URL: ['redis', 'url'],
  REDIS_KEY_PREFIX: ['redis', 'keyPrefix'],
  REDIS_SERVER_BIN: ['redis', 'serverBin'],
  NODE_ID: ['cluster', 'nodeId'],
  NODE_URL: ['cluster', 'nodeUrl'],
  LEASE_SECONDS: ['cluster', 'leaseSeconds'],
  DATA_DIR: ['dataDir'],
  LOG_LEVEL: ['logLevel'],
  LOG_PRETTY: ['logPretty'],
  TURN_URLS: ['turn', 'urls'],
  TURN_SECRET: ['turn', 'secret'],
  TURN_CREDENTIAL_TTL_SECONDS: ['turn', 'credentialTtlSeconds'],
  CHECK_MAX_RTT_MS: ['checks', 'maxRttMs'],
  CHECK_MAX_LOSS_PERCENT: ['checks', 'maxLossPercent'],
  CHECK_MAX_JITTER_MS: ['checks', 'maxJitterMs'],
  CHECK_MIN_UPLINK_KBPS: ['checks', 'minUplinkKbps'],
  CHECK_MIN_DOWNLINK_KBPS: ['checks', 'minDownlinkKbps'],
  WEBHOOK_URL: ['notify', 'webhookUrl'],
  WEBHOOK_SECRET: ['notify', 'webhookSecret'],
  SMTP_URL: ['notify', 'smtpUrl'],
  MAIL_FROM: ['notify', 'mailFrom'],
  METRICS_TOKEN: ['metrics', 'token'],
  CHROMIUM_PATH: ['documents', 'chromiumPath'],
  DEMO: ['demo'],
  PROGRAMME_WIDTH: ['broadcast', 'width'],
  PROGRAMME_HEIGHT: ['broadcast', 'height'],
  PROGRAMME_FPS: ['broadcast', 'fps'],
  PROGRAMME_VIDEO_KBPS: ['broadcast', 'videoKbps'],
  PROGRAMME_AUDIO_KBPS: ['broadcast', 'audioKbps'],
  PROGRAMME_PRESET: ['broadcast', 'preset'],
  PROGRAMME_THREADS: ['broadcast', 'threads'],
  RECORDING_SEGMENT_SECONDS: ['broadcast', 'segmentSeconds'],
  RECORDING_RETENTION_DAYS: ['broadcast', 'retentionDays'],
  BROADCAST_PYTHON_BIN: ['broadcast', 'pythonBin'],
  BROADCAST_FFMPEG_BIN: ['broadcast', 'ffmpegBin'],
};

export function envNameFor(path: readonly PropertyKey[]): string | undefined {
  const joined = path.join('.');
  for (const [name, p] of Object.entries(envToPath)) {
    if (p.join('.') === joined) return name;
  }
  return undefined;
}
