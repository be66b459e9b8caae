package io.asterline.did;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.did.DidRepository.DidPatch;
import io.asterline.did.DidRepository.NewDid;
import io.asterline.did.DidRepository.Page;
import io.asterline.did.DidRepository.Pool;
import io.asterline.error.ConflictException;
import io.asterline.error.InvalidInputException;
import io.asterline.phone.PhoneNumbers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's numbers: checked edits, and the caller-ID selection outbound calls and journeys use.
 * Input problems are {@link InvalidInputException}s naming the field (the HTTP API answers them as 400).
 */
public final class DidService {

  private static final Logger log = LoggerFactory.getLogger(DidService.class);

  /**
   * How long a pick waits for the pool's lowest usage count to move while its numbers are locked. Concurrent
   * picks hold a row for about a millisecond; a row held longer is held by something else.
   */
  private static final long STUCK_NANOS = 200_000_000L;
  private static final int STUCK_ATTEMPTS = 20;
  /** How long a pick keeps trying while every eligible number stays locked, before it answers "none". */
  private static final long GIVE_UP_NANOS = 2_000_000_000L;

  private final DidRepository dids;
  private final String defaultCountryCode;
  private final Counter picked;
  private final Counter none;
  private final Counter lostToConcurrentPicks;
  private final Counter unfair;

  public DidService(DidRepository dids, String defaultCountryCode, MeterRegistry metrics) {
    this.dids = dids;
    this.defaultCountryCode = defaultCountryCode;
    this.picked = Counter.builder("asterline.did.picks").tag("outcome", "picked")
        .description("caller-ID selections that gave a number").register(metrics);
    this.none = Counter.builder("asterline.did.picks").tag("outcome", "none")
        .description("caller-ID selections that found no usable number").register(metrics);
    this.lostToConcurrentPicks = Counter.builder("asterline.did.pick.retries")
        .description("pick attempts repeated because concurrent picks took every eligible number first")
        .register(metrics);
    this.unfair = Counter.builder("asterline.did.picks.unfair")
        .description("picks that took a number above the lowest count because those stayed locked")
        .register(metrics);
  }

  /** The service on the shared database, with the configured rotation defaults. */
  public static DidService create(DSLContext dsl, ObjectMapper json, DidConfig config, MeterRegistry metrics) {
    return new DidService(new DidRepository(dsl, json, config.defaultDailyCap(), config.defaultCooldown(),
        config.dayTimeZone()), config.defaultCountryCode(), metrics);
  }

  // ---------------------------------------------------------------- caller-ID selection

  /**
   * The caller ID for a call, counting its use: the named DID when {@code didId} is given (if it is the
   * tenant's and its status is usable); else rotation in {@code segment} when given; else rotation over all
   * the tenant's usable numbers. When {@code callee} is known, rotation prefers numbers in its area code.
   *
   * @return empty when no number can be used now (none usable, daily caps reached, all cooling down)
   * @throws InvalidInputException on field {@code didId} when the tenant has no such DID
   */
  public Optional<Did> selectCallerId(long tenantId, Optional<UUID> didId, Optional<String> segment,
      Optional<String> callee) {
    return selectCallerId(tenantId, didId, segment, callee, Optional.empty());
  }

  /**
   * As {@link #selectCallerId(long, Optional, Optional, Optional)}, for a call to {@code lead}: rotation gives the
   * lead the caller ID of its last call again while that number is still eligible (not quarantined, capped or
   * cooling down), so a callee called back sees one number.
   */
  public Optional<Did> selectCallerId(long tenantId, Optional<UUID> didId, Optional<String> segment,
      Optional<String> callee, Optional<Long> lead) {
    return selectCallerId(tenantId, didId, segment, callee, lead, false);
  }

  /** As above; with {@code twilioOnly}, only the numbers Twilio holds (a call placed through Twilio's REST API). */
  public Optional<Did> selectCallerId(long tenantId, Optional<UUID> didId, Optional<String> segment,
      Optional<String> callee, Optional<Long> lead, boolean twilioOnly) {
    if (didId.isPresent()) {
      Optional<Did> named = dids.pickById(tenantId, didId.get(), twilioOnly);
      if (named.isEmpty() && dids.find(didId.get(), OptionalLong.of(tenantId)).isEmpty()) {
        throw new InvalidInputException("didId", "no DID " + didId.get() + " for this tenant");
      }
      return counted(named);
    }
    Pool pool = new Pool(tenantId, segment, callee.flatMap(this::areaCodeOf), lead);
    return rotate(twilioOnly ? pool.twilio() : pool);
  }

  /** Gives back a use {@link #selectCallerId} counted, for a call that never left. */
  public void giveBack(UUID didId) {
    dids.giveBack(didId);
  }

  /** The next number of the pool; with {@code peek} the one rotation would pick now, uncounted. */
  public Optional<Did> next(long tenantId, Optional<String> segment, Optional<String> callee, boolean peek) {
    Pool pool = pool(tenantId, segment.map(DidService::segment),
        callee.map(c -> number("callee", c)).flatMap(PhoneNumbers::areaCode));
    return peek ? dids.peek(pool) : rotate(pool);
  }

  private Optional<Did> counted(Optional<Did> result) {
    (result.isPresent() ? picked : none).increment();
    return result;
  }

  /**
   * Rotation: attempts until a number is picked or none is eligible. An attempt comes back empty-handed
   * while eligible numbers exist when concurrent picks took them first; then the pool's lowest count moves
   * on within milliseconds and the next attempt succeeds. If the lowest count stops moving, its numbers are
   * held by something slower than a pick (an import's transaction), and after {@link #STUCK_NANOS} the pick
   * takes the least used number that is free rather than stall the call.
   */
  private Optional<Did> rotate(Pool pool) {
    long lowest = -1;
    long lowestSince = System.nanoTime();
    int lowestAttempts = 0;
    for (int tries = 1; ; tries++) {
      long stuck = System.nanoTime() - lowestSince;
      // both a time and a count of attempts: a machine too busy to run this thread for a while is no lock
      boolean fair = stuck < STUCK_NANOS || lowestAttempts < STUCK_ATTEMPTS;
      DidRepository.Attempt attempt = dids.pick(pool, fair);
      if (!attempt.contended()) {
        if (!fair && attempt.did().isPresent()) {
          unfair.increment();
        }
        return counted(attempt.did());
      }
      if (attempt.lowestCount().getAsLong() != lowest) {
        lowest = attempt.lowestCount().getAsLong();
        lowestSince = System.nanoTime();
        lowestAttempts = 0;
      } else if (++lowestAttempts >= STUCK_ATTEMPTS && stuck > GIVE_UP_NANOS) {
        log.warn("tenant {}: no DID picked in segment {} after {} attempts: every eligible number stayed locked"
            + " for {} ms", pool.tenantId(), pool.segment().orElse("(all)"), tries, stuck / 1_000_000);
        return counted(Optional.empty());
      }
      lostToConcurrentPicks.increment();
      // the rows this attempt lost are being committed by other picks right now: let them finish
      LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(100_000, 500_000L * Math.min(tries, 4)));
    }
  }

  private static Pool pool(long tenantId, Optional<String> segment, Optional<String> area) {
    return new Pool(tenantId, segment, area);
  }

  private Optional<String> areaCodeOf(String callee) {
    try {
      return PhoneNumbers.areaCode(PhoneNumbers.require(callee, defaultCountryCode));
    } catch (IllegalArgumentException e) {
      // an unreadable callee only loses local presence; the call itself is judged elsewhere
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------- reading and editing

  public Optional<Did> find(UUID id, OptionalLong tenant) {
    return dids.find(id, tenant);
  }

  public Page list(OptionalLong tenant, Optional<String> segment, Optional<String> status, Optional<String> trunk,
      int offset, int limit) {
    return dids.list(tenant, segment.map(DidService::segment), status.map(DidService::status),
        trunk.map(t -> name("trunk", t)), offset, limit);
  }

  public List<String> segments(OptionalLong tenant) {
    return dids.segments(tenant);
  }

  public List<DidRepository.SegmentSummary> segmentSummaries(OptionalLong tenant) {
    return dids.segmentSummaries(tenant);
  }

  public List<DidRepository.SegmentDay> usageByDay(OptionalLong tenant, int days) {
    return dids.usageByDay(tenant, days);
  }

  /** Creates a number; its fields are checked and the number normalised to E.164. */
  public Did create(NewDid d) {
    return create(d, OptionalLong.of(d.tenantId()));
  }

  /** As {@link #create(NewDid)}, for {@code caller}: the tenant the request acts for, empty for the admin. */
  public Did create(NewDid d, OptionalLong caller) {
    NewDid checked = new NewDid(d.tenantId(), number("number", d.number()), segment(d.segment()),
        name("trunk", d.trunk()), d.status() == null ? "active" : status(d.status()), d.dailyCap(),
        d.cooldownSeconds(), d.metadata());
    try {
      return dids.insert(checked);
    } catch (DataAccessException e) {
      throw translate(e, checked.number(), d.tenantId(), caller);
    }
  }

  public Optional<Did> update(UUID id, OptionalLong tenant, DidPatch p) {
    DidPatch checked = new DidPatch(
        p.number() == null ? null : number("number", p.number()),
        p.segment() == null ? null : segment(p.segment()),
        p.trunk() == null ? null : name("trunk", p.trunk()),
        p.status() == null ? null : status(p.status()),
        p.dailyCap(), p.clearDailyCap(), p.cooldownSeconds(), p.clearCooldown(), p.metadata());
    try {
      return dids.update(id, tenant, checked);
    } catch (DataAccessException e) {
      throw translate(e, checked.number(), null, tenant);
    }
  }

  public boolean delete(UUID id, OptionalLong tenant) {
    return dids.delete(id, tenant);
  }

  /** Pins (never quarantined automatically), unpins, or releases from quarantine; see {@link DidRepository#setHealth}. */
  public Optional<Did> setHealth(UUID id, OptionalLong tenant, Boolean pinned, boolean release) {
    return dids.setHealth(id, tenant, pinned, release);
  }

  // ---------------------------------------------------------------- checks

  /** The E.164 form of a number given in {@code field}. */
  public String number(String field, String raw) {
    try {
      return PhoneNumbers.require(raw, defaultCountryCode);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(field, field + ": " + e.getMessage());
    }
  }

  public static String segment(String segment) {
    if (segment == null || segment.isBlank()) {
      throw new InvalidInputException("segment", "segment is required: the name of a pool, such as twilio-main");
    }
    return name("segment", segment);
  }

  public static String status(String status) {
    if (status == null || !Did.STATUSES.contains(status)) {
      throw new InvalidInputException("status", "unknown status '" + status + "'; one of "
          + String.join(", ", Did.STATUSES.stream().sorted().toList()));
    }
    return status;
  }

  static String name(String field, String value) {
    if (value == null || !Did.NAME.matcher(value).matches()) {
      throw new InvalidInputException(field, field + " '" + value + "' must be 1 to 64 letters, digits, '.', '_'"
          + " or '-', starting with a letter or digit");
    }
    return value;
  }

  /** {@code caller}: the tenant the request acts for, empty for the admin. */
  private RuntimeException translate(DataAccessException e, String number, Long tenantId, OptionalLong caller) {
    String state = e.sqlState();
    if ("23505".equals(state)) {
      OptionalLong owner = dids.ownerOf(number);
      if (caller.isPresent() && owner.equals(caller)) {
        return new ConflictException("number", "number " + number + " is one of this tenant's DIDs already");
      }
      if (caller.isEmpty() && owner.isPresent()) {
        // the operator may know who holds it
        return new ConflictException("number", "number " + number + " is a DID of tenant " + owner.getAsLong());
      }
      // a tenant must not learn another tenant's numbers: the same answer as for any number it cannot add
      return new ConflictException("number", "number " + number + " is not available to this tenant; if it"
          + " should be, ask the administrator");
    }
    if ("23503".equals(state) && tenantId != null) {
      return new InvalidInputException("tenantId", "no tenant " + tenantId);
    }
    return e;
  }
}
