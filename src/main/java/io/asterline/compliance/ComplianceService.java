package io.asterline.compliance;

import io.asterline.error.ConflictException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jooq.DSLContext;

/**
 * Whether a number may be called now: not on the tenant's suppression list, and inside its calling window in the
 * callee's local time. Reads only; a refusal here comes before any slot or caller ID is taken.
 */
public final class ComplianceService {

  /** What {@link #check} found. */
  public sealed interface Verdict {}

  public record Callable() implements Verdict {}

  /** On the tenant's do-not-call list. */
  public record Suppressed(String number, String source) implements Verdict {}

  /** Outside the window now; {@code opensAt} empty when it never opens in every zone the number may be in. */
  public record OutsideWindow(CallingWindow window, List<ZoneId> zones, Optional<Instant> opensAt) implements Verdict {}

  /** A window applies but the number's country has no known time zone. */
  public record UnknownZone(CallingWindow window, String number) implements Verdict {}

  private final ComplianceRepository repository;
  private final LocalZones zones;
  private final Clock clock;

  public ComplianceService(ComplianceRepository repository, LocalZones zones, Clock clock) {
    this.repository = repository;
    this.zones = zones;
    this.clock = clock;
  }

  public static ComplianceService create(DSLContext dsl, Clock clock) {
    return new ComplianceService(new ComplianceRepository(dsl), LocalZones.builtIn(), clock);
  }

  public Clock clock() {
    return clock;
  }

  public ComplianceRepository repository() {
    return repository;
  }

  public LocalZones zones() {
    return zones;
  }

  /** The verdict for calling {@code number} for the tenant now; {@code journeyRunId} brings in a journey's window. */
  public Verdict check(long tenantId, Long journeyRunId, String number) {
    Optional<ComplianceRepository.Suppression> s = repository.find(tenantId, number);
    if (s.isPresent()) {
      return new Suppressed(number, s.get().source());
    }
    Optional<CallingWindow> window = repository.windowFor(tenantId, journeyRunId);
    if (window.isEmpty()) {
      return new Callable();
    }
    List<ZoneId> local = zones.zones(number);
    if (local.isEmpty()) {
      return new UnknownZone(window.get(), number);
    }
    Instant now = clock.instant();
    if (window.get().isOpen(now, local)) {
      return new Callable();
    }
    return new OutsideWindow(window.get(), local, window.get().nextOpening(now, local));
  }

  /**
   * Refuses a call that must not be placed now, naming {@code field} (the number's request field).
   *
   * @throws ConflictException suppressed, outside the window, or no known local time
   */
  public void requireCallable(long tenantId, Long journeyRunId, String number, String field) {
    refuse(check(tenantId, journeyRunId, number), field);
  }

  /** Throws the refusal a verdict other than {@link Callable} means. */
  public static void refuse(Verdict v, String field) {
    if (v instanceof Suppressed s) {
      throw new ConflictException(field, field + ": " + s.number()
          + " is on the tenant's do-not-call list (source " + s.source() + "); it is not called");
    }
    if (v instanceof OutsideWindow w) {
      throw new ConflictException(field, field + ": outside the calling window (" + w.window()
          + " local time in " + names(w.zones()) + ")" + w.opensAt()
              .map(t -> "; it next opens at " + DateTimeFormatter.ISO_INSTANT.format(t))
              .orElse("; the window is never open in all of these zones at once"));
    }
    if (v instanceof UnknownZone u) {
      throw new ConflictException(field, field + ": no local time is known for " + u.number()
          + " (its country code is not in Asterline's zone table), so the calling window " + u.window()
          + " cannot be checked and the number is not called");
    }
  }

  private static String names(List<ZoneId> zones) {
    return zones.stream().map(ZoneId::getId).collect(Collectors.joining(", "));
  }

  /** Suppresses the remote party of a call (the agent's opt_out tool); empty when the call has no usable number. */
  public Optional<String> optOut(UUID callId) {
    return repository.optOut(callId);
  }
}
