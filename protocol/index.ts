/** The browser-safe protocol module: every HTTP body shared by server and pages. */
export * from './attendance.js';
export * from './auth.js';
export * from './broadcast.js';
export * from './check.js';
export * from './checkSocket.js';
export * from './cluster.js';
export * from './endpoints.js';
export * from './errors.js';
export * from './fields.js';
export * from './http.js';
export * from './meetings.js';
export * from './notifications.js';
export * from './readiness.js';
export * from './reports.js';
export * from './sites.js';
export * from './text.js';
export * from './time.js';
