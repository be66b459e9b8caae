package io.asterline.twilio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.Settings;
import io.asterline.did.DidConfig;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The REST client against the stand-in: Basic auth and form bodies in, Twilio's answers and errors out. */
class TwilioRestTest {

  private final TwilioStandIn twilio;
  private final TwilioRest rest;

  TwilioRestTest() throws Exception {
    twilio = new TwilioStandIn();
    Settings settings = Settings.of(twilio.settings(URI.create("https://asterline.example.com")), Map.of(), Map.of());
    rest = new TwilioRest(DidConfig.from(settings).twilio(), new ObjectMapper());
  }

  @AfterEach
  void close() {
    rest.close();
    twilio.close();
  }

  @Test
  void createsAndRedirectsACall() {
    TwilioRest.CallResource call = rest.createCall(TwilioForm.create().add("To", "+14155550100")
        .add("From", "+14155550199").add("Twiml", Twiml.response().say("hi & bye").toXml())).join();
    assertThat(call.sid()).matches("CA[0-9a-f]{32}");
    assertThat(call.status()).isEqualTo("queued");
    assertThat(twilio.requests).allMatch(TwilioStandIn.Request::authorized);
    assertThat(twilio.call(call.sid()).orElseThrow().created.first("Twiml")).contains(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>hi &amp; bye</Say></Response>");

    rest.updateCall(call.sid(), TwilioForm.create().add("Twiml", Twiml.response().hangup().toXml())).join();
    assertThat(twilio.call(call.sid()).orElseThrow().lastTwiml()).get().asString().contains("<Hangup/>");
  }

  @Test
  void aRefusalCarriesTwiliosCodeAndNoCredential() {
    assertThatThrownBy(() -> rest.createCall(TwilioForm.create().add("To", "0155").add("From", "+14155550199")
        .add("Twiml", "<Response/>")).join())
        .isInstanceOf(CompletionException.class)
        .cause().isInstanceOf(TwilioRest.Refused.class)
        .hasMessageContaining("21211")
        .hasMessageNotContaining(TwilioStandIn.AUTH_TOKEN);
  }

  @Test
  void anOutageIsUnavailableNotRefused() {
    twilio.failNext(1, 503, 20500, "Internal Server Error");
    assertThatThrownBy(() -> rest.createCall(TwilioForm.create().add("To", "+14155550100")
        .add("From", "+14155550199").add("Twiml", "<Response/>")).join())
        .cause().isInstanceOf(TwilioRest.Unavailable.class).hasMessageContaining("503");
    twilio.down(true);
    assertThatThrownBy(() -> rest.fetchCall("CA0123456789abcdef0123456789abcdef").join())
        .cause().isInstanceOf(TwilioRest.Unavailable.class);
  }
}
