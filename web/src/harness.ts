import { MeetingClient, RequestError } from '../client/MeetingClient.js';

declare global {
  interface Window {
    diemcau: { MeetingClient: typeof MeetingClient; RequestError: typeof RequestError };
  }
}

window.diemcau = { MeetingClient, RequestError };
document.body.dataset.ready = 'true';
