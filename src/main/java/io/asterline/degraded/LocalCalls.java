package io.asterline.degraded;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What this node knows about its calls without the database: the last-known-good tenant settings (reloaded with
 * the DID map, {@code agi.did-cache-refresh}), the calls it admitted DEGRADED, and the agent's decision for calls
 * whose decision may not have reached the database. The dialplan sends every step of a call to the node that
 * answered its inbound ({@code ASTERLINE_AGI} is kept on the channel), so this node's memory is where that call's
 * AudioSocket leg and after-agent look first.
 */
public final class LocalCalls {

  /** A call admitted while the database was down. */
  public record DegradedCall(UUID callId, long tenantId, Instant admittedAt) {}

  /** What the agent decided, as after-agent needs it. */
  public record Decision(long tenantId, io.asterline.call.Decision decision, String transferTo, Instant at) {}

  private volatile Map<Long, TenantSettings> tenants = Map.of();
  private volatile Instant tenantsLoadedAt;
  private final Map<UUID, DegradedCall> degraded = new ConcurrentHashMap<>();
  private final Map<UUID, Decision> decisions = new ConcurrentHashMap<>();

  /** Replaces the whole tenant copy with a fresh load. */
  public void replaceTenants(List<TenantSettings> fresh, Instant now) {
    tenants = Map.copyOf(fresh.stream().collect(Collectors.toMap(TenantSettings::tenantId, Function.identity())));
    tenantsLoadedAt = now;
  }

  public Optional<TenantSettings> tenant(long tenantId) {
    return Optional.ofNullable(tenants.get(tenantId));
  }

  public Optional<Instant> tenantsLoadedAt() {
    return Optional.ofNullable(tenantsLoadedAt);
  }

  public void admittedWhileDegraded(UUID callId, long tenantId, Instant now) {
    degraded.put(callId, new DegradedCall(callId, tenantId, now));
  }

  /** The call, when this node admitted it DEGRADED (whether or not its row has reached the database since). */
  public Optional<DegradedCall> degradedCall(UUID callId) {
    return Optional.ofNullable(degraded.get(callId));
  }

  public void decided(UUID callId, long tenantId, io.asterline.call.Decision decision, String transferTo, Instant now) {
    decisions.put(callId, new Decision(tenantId, decision, transferTo, now));
  }

  public Optional<Decision> decision(UUID callId) {
    return Optional.ofNullable(decisions.get(callId));
  }

  /** The call has ended: nothing further asks about it. */
  public void ended(UUID callId) {
    degraded.remove(callId);
    decisions.remove(callId);
  }

  /** Forgets calls older than {@code maxAge} whose end never came here (it ran on another node, or was lost). */
  public int expire(Instant now, Duration maxAge) {
    Instant before = now.minus(maxAge);
    int n = degraded.size() + decisions.size();
    degraded.values().removeIf(c -> c.admittedAt().isBefore(before));
    decisions.values().removeIf(d -> d.at().isBefore(before));
    return n - degraded.size() - decisions.size();
  }

  public int degradedCalls() {
    return degraded.size();
  }
}
