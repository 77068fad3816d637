import type { NodeConfig } from "../config/node_config.ts";
import type { AuditLog } from "../audit/audit_log.ts";
import type { Subsystem, SubsystemFactory } from "../subsystem/subsystem.ts";
import { aclCommands } from "./acl_commands.ts";
import { AclMachine } from "./acl_machine.ts";
import { AclService } from "./acl_service.ts";
import { AuthLimiter } from "./auth_limiter.ts";
import { pbkdf2Hasher } from "./password_hash.ts";

/** The security subsystem's factory, with the ACL service the node's connection commands use. */
export interface SecurityFactory extends SubsystemFactory {
  readonly service: AclService;
}

/**
 * Users (a meta machine: replicated, so a user created anywhere logs in everywhere), the ACL
 * commands, and the INFO section and metrics of the ACL and of the audit log (null when off).
 */
export function securitySubsystemFactory(
  config: NodeConfig,
  audit: AuditLog | null,
): SecurityFactory {
  const machine = new AclMachine();
  const service = new AclService({
    machine,
    requirePass: config.requirePass,
    hasher: pbkdf2Hasher(),
    limiter: new AuthLimiter(),
    nowMs: () => performance.now(),
  });
  return {
    name: "security",
    metaMachines: [machine],
    service,
    build: (meta) => {
      service.attachMeta(meta);
      return securitySubsystem(machine, service, audit);
    },
  };
}

function securitySubsystem(
  machine: AclMachine,
  service: AclService,
  audit: AuditLog | null,
): Subsystem {
  const auditStats = audit?.stats;
  return {
    name: "security",
    commands: aclCommands({
      service,
      commandKnown: (name) => service.commandKnown(name),
      specs: () => service.specs(),
    }),
    infoSections: [{
      name: "security",
      fields: () => [
        ["acl_users", machine.users().length],
        ["auth_failures", service.authFailures],
        ["auth_rate_limited", service.limiter.refusedCount],
        ["auth_limited_addresses", service.limiter.addressCount],
        ["audit_enabled", audit === null ? 0 : 1],
        ["audit_records_written", auditStats?.written ?? 0],
        ["audit_records_dropped", auditStats?.dropped ?? 0],
        ["audit_write_errors", auditStats?.writeErrors ?? 0],
        ["audit_records_pending", audit?.pendingCount ?? 0],
        ["audit_reopened", auditStats?.reopened ?? 0],
      ],
    }],
    metrics: [
      {
        name: "dsync_acl_users",
        help: "ACL users replicated",
        value: () => machine.users().length,
      },
      {
        name: "dsync_auth_failures_total",
        help: "AUTH attempts refused for a wrong password or user",
        value: () => service.authFailures,
      },
      {
        name: "dsync_auth_rate_limited_total",
        help: "AUTH attempts refused because their address failed too often",
        value: () => service.limiter.refusedCount,
      },
      {
        name: "dsync_audit_records_written_total",
        help: "Audit records written",
        value: () => auditStats?.written ?? 0,
      },
      {
        name: "dsync_audit_records_dropped_total",
        help: "Audit records dropped (buffer full under --audit-full drop, or a write error)",
        value: () => auditStats?.dropped ?? 0,
      },
      {
        name: "dsync_audit_records_pending",
        help: "Audit records buffered or reserved",
        value: () => audit?.pendingCount ?? 0,
      },
    ],
    start: () => {},
    stop: () => {},
  };
}
