import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, Role } from '../../protocol/auth.js';
import { AppError, forbidden } from '../../protocol/errors.js';
import type { MeetingAction } from '../../protocol/meetings.js';
import type { AccessService } from './AccessService.js';
import { SESSION_COOKIE } from './AdminAccounts.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the guard; routes without a guard never see it. */
    principal?: Principal;
    principalExpiresAt?: string;
  }
}

export interface GuardRule {
  /** Who may call the route. Admins are not implied: list 'admin' when they may. */
  roles: readonly Role[];
  /**
   * Route parameter holding the meeting id. A join-link principal is bound to one meeting and
   * is refused (403) for any other; required for routes open to link roles.
   */
  meetingParam?: string;
  /** Route parameter holding a site id: a technician or reporter may only name their own site. */
  siteParam?: string;
  /** The handler itself scopes its answer to the principal (e.g. /api/me/meeting). */
  unscoped?: boolean;
}

const noAccess = () =>
  forbidden({
    vi: 'Bạn không có quyền truy cập mục này',
    en: 'You are not allowed to access this',
  });

/**
 * onRequest hook factory: authenticates (Bearer join token, else session cookie) and checks
 * role and scope. 401 without valid credentials, 403 outside the principal's role or scope.
 * It runs before the body is read or validated, so a stranger learns nothing from validation
 * errors and cannot make the server read an upload.
 */
export function makeGuard(access: AccessService) {
  return (rule: GuardRule) => {
    const linkRoles = rule.roles.filter((r) => r !== 'admin');
    if (linkRoles.length > 0 && !rule.meetingParam && !rule.unscoped) {
      throw new Error('a route open to join links must name its meeting parameter');
    }
    return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      const credentials = {
        authorization: request.headers.authorization,
        sessionId: request.cookies?.[SESSION_COOKIE],
      };
      // An address that failed too often waits, whatever it presents now (a token guesser).
      if (credentials.authorization || credentials.sessionId)
        await access.failures.assertAllowed(request.ip);
      let found: Awaited<ReturnType<AccessService['authenticateCredentials']>>;
      try {
        found = await access.authenticateCredentials(credentials);
      } catch (err) {
        if (err instanceof AppError && err.code === 'unauthorized')
          await access.failures.failed(request.ip);
        throw err;
      }
      if (!found) {
        throw new AppError('unauthorized', {
          vi: 'Cần đăng nhập hoặc liên kết tham gia',
          en: 'Log in or use your join link',
        });
      }
      const { principal } = found;
      request.principal = principal;
      request.principalExpiresAt = found.expiresAt;
      if (!rule.roles.includes(principal.kind)) throw noAccess();
      if (principal.kind === 'admin') return;
      const params = (request.params ?? {}) as Record<string, string | undefined>;
      if (rule.meetingParam && params[rule.meetingParam] !== principal.meetingId) throw noAccess();
      if (
        rule.siteParam &&
        (principal.kind === 'technician' || principal.kind === 'reporter') &&
        params[rule.siteParam] !== principal.siteId
      )
        throw noAccess();
      request.log = request.log.child({ meetingId: principal.meetingId });
    };
  };
}

export type Guard = ReturnType<typeof makeGuard>;

/** The guard has run: the principal is there. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal)
    throw new AppError('unauthorized', { vi: 'Chưa xác thực', en: 'Not authenticated' });
  return request.principal;
}

/**
 * Lifecycle actions per role: the station runs the technical check, the chair opens and
 * closes the session, admins do everything. A technician controls nothing.
 */
const actionRoles: Readonly<Record<MeetingAction, readonly Role[]>> = {
  schedule: ['admin'],
  unschedule: ['admin'],
  startCheck: ['admin', 'station'],
  endCheck: ['admin', 'station'],
  goLive: ['admin', 'chair'],
  end: ['admin', 'chair'],
  cancel: ['admin'],
  reopen: ['admin'],
};

export function mayPerform(principal: Principal, action: MeetingAction): boolean {
  return actionRoles[action].includes(principal.kind);
}

export function assertMayPerform(principal: Principal, action: MeetingAction): void {
  if (!mayPerform(principal, action)) {
    throw forbidden({
      vi: `Vai trò của bạn không được thực hiện "${action}"`,
      en: `Your role may not ${action} this meeting`,
    });
  }
}
