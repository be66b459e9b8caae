package io.asterline.agi;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiRequest;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code agi://<asterline>/ping,<token>}: the doctor's probe. {@code asterline doctor} has Asterisk run it through
 * the FastAGI address its dialplan uses; the node that answers announces the token on the PostgreSQL channel
 * {@value #CHANNEL}, where the doctor listens, so the doctor knows the request went Asterisk -> this address ->
 * an Asterline node, whichever node that was. Sets ASTERLINE_STATUS=OK (ERROR without a token, or when the
 * database did not take the announcement).
 */
public final class PingScript extends AsterlineAgiScript {

  /** The URL path: agi://host/ping. */
  public static final String NAME = "ping";
  /** The PostgreSQL NOTIFY channel the token is announced on. */
  public static final String CHANNEL = "asterline_doctor_ping";

  private static final Logger log = LoggerFactory.getLogger(PingScript.class);

  private final DSLContext dsl;

  public PingScript(DSLContext dsl, MeterRegistry metrics) {
    super(NAME, metrics);
    this.dsl = dsl;
  }

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) {
    String token = argument(request, 1);
    try {
      // a token is the doctor's UUID; anything else is not announced (it would go to every listener verbatim)
      UUID.fromString(token == null ? "" : token);
    } catch (IllegalArgumentException e) {
      log.info("{}: without a doctor's token, from {}", NAME, request.getRemoteAddress());
      return ScriptResult.of(AgiStatus.ERROR);
    }
    try {
      dsl.execute("select pg_notify(?, ?)", CHANNEL, token);
      log.info("{}: reached through Asterisk {} ({})", NAME, request.getRemoteAddress(), token);
      return ScriptResult.of(AgiStatus.OK);
    } catch (RuntimeException e) {
      log.warn("{}: could not announce it in the database: {}", NAME, e.getMessage());
      return ScriptResult.of(AgiStatus.ERROR);
    }
  }
}
