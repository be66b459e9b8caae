package io.asterline.twilio;

import io.asterline.http.ApiException;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate every Twilio webhook ({@code /twilio/*}) passes before anything is read or stored: the form must be
 * signed with the account's auth token over the public URL Twilio requested (the configured
 * {@code twilio.webhook-base-url}, this request's path and query) and name this account. Anything else is refused
 * with 403 and nothing is stored.
 */
public final class TwilioWebhooks {

  private static final Logger log = LoggerFactory.getLogger(TwilioWebhooks.class);

  private final TwilioConfig config;

  public TwilioWebhooks(TwilioConfig config) {
    this.config = config;
  }

  /** The request's form, when Twilio signed it; throws a 403 (or 503 when Twilio is not configured) otherwise. */
  public TwilioForm verify(Context ctx) {
    if (!config.enabled()) {
      throw new ApiException(503, null, "Twilio calls are not configured here (twilio.account-sid, twilio.auth-token, "
          + "twilio.webhook-base-url)");
    }
    String query = ctx.queryString();
    String url = config.webhook(ctx.path() + (query == null || query.isEmpty() ? "" : "?" + query)).toString();
    TwilioForm form;
    try {
      form = TwilioForm.parse(ctx.body());
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, null, "the webhook's body is not a form: " + e.getMessage());
    }
    String signature = ctx.header(TwilioSignature.HEADER);
    if (!TwilioSignature.valid(config.authToken(), url, form.asMap(), signature)) {
      log.warn("twilio: refused a webhook to {} from {}: {}", ctx.path(), ctx.ip(),
          signature == null ? "unsigned" : "signature does not match");
      throw new ApiException(403, null, "the request is not signed by Twilio for this account");
    }
    String account = form.first("AccountSid").orElse("");
    if (!account.isEmpty() && !config.account().accountSid().map(account::equals).orElse(false)) {
      log.warn("twilio: refused a webhook to {} for another account", ctx.path());
      throw new ApiException(403, null, "the request is for another Twilio account");
    }
    return form;
  }
}
