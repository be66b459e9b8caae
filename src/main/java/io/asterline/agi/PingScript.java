package io.asterline.agi;

import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiRequest;
import org.asteriskjava.fastagi.AgiScript;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code agi://<asterline>/ping,<token>}: the doctor's probe. {@code asterline doctor} has Asterisk run it through
 * the FastAGI address its dialplan uses; the node that answers announces the token on the PostgreSQL channel
 * {@value #CHANNEL}, where the doctor listens, so the doctor knows the request went Asterisk -> this address ->
 * an Asterline node, whichever node that was. Sets ASTERLINE_STATUS=OK (ERROR without a token).
 */
public final class PingScript implements AgiScript {

  /** The URL path: agi://host/ping. */
  public static final String NAME = "ping";
  /** The PostgreSQL NOTIFY channel the token is announced on. */
  public static final String CHANNEL = "asterline_doctor_ping";

  private static final Logger log = LoggerFactory.getLogger(PingScript.class);

  private final DSLContext dsl;

  public PingScript(DSLContext dsl) {
    this.dsl = dsl;
  }

  @Override
  public void service(AgiRequest request, AgiChannel channel) throws AgiException {
    String[] args = request.getArguments();
    String token = args != null && args.length > 0 && args[0] != null ? args[0].trim() : "";
    try {
      // a token is the doctor's UUID; anything else is not announced (it would go to every listener verbatim)
      UUID.fromString(token);
    } catch (IllegalArgumentException e) {
      log.info("ping: without a doctor's token, from {}", request.getRemoteAddress());
      channel.setVariable(AgiVariables.STATUS, "ERROR");
      return;
    }
    try {
      dsl.execute("select pg_notify(?, ?)", CHANNEL, token);
      log.info("ping: reached through Asterisk {} ({})", request.getRemoteAddress(), token);
      channel.setVariable(AgiVariables.STATUS, "OK");
    } catch (RuntimeException e) {
      log.warn("ping: could not announce it in the database: {}", e.getMessage());
      channel.setVariable(AgiVariables.STATUS, "ERROR");
    }
  }
}
