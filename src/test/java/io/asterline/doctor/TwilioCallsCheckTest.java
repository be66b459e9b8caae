package io.asterline.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.config.Settings;
import io.asterline.did.DidConfig;
import io.asterline.twilio.TwilioConfig;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What doctor says of the Twilio call settings, from the settings an operator writes. */
class TwilioCallsCheckTest {

  private static final String SID = "AC0123456789abcdef0123456789abcdef";

  private static Finding check(Map<String, String> values) {
    Settings settings = Settings.of(values, Map.of(), Map.of());
    return new TwilioCallsCheck(TwilioConfig.from(settings, DidConfig.from(settings).twilio())).run();
  }

  private static Map<String, String> account() {
    Map<String, String> m = new HashMap<>();
    m.put("twilio.account-sid", SID);
    m.put("twilio.auth-token", "secret-token-value");
    return m;
  }

  @Test
  void withoutAWebhookUrlTwilioCallsAreOff() {
    assertThat(check(account()).verdict()).isEqualTo(Finding.Verdict.SKIP);
  }

  @Test
  void aGoodSetupNamesEveryAddressTwilioUses() {
    Map<String, String> m = account();
    m.put("twilio.webhook-base-url", "https://asterline.example.com/");
    Finding f = check(m);
    assertThat(f.verdict()).isEqualTo(Finding.Verdict.OK);
    assertThat(f.detail()).contains("https://asterline.example.com/twilio/voice")
        .contains("wss://asterline.example.com/twilio/stream").contains("9094")
        .doesNotContain("secret-token-value");
  }

  @Test
  void anApiKeyAloneCannotCheckWebhookSignatures() {
    Map<String, String> m = new HashMap<>();
    m.put("twilio.account-sid", SID);
    m.put("twilio.api-key-sid", "SK0123456789abcdef0123456789abcdef");
    m.put("twilio.api-key-secret", "key-secret");
    m.put("twilio.webhook-base-url", "https://asterline.example.com");
    Finding f = check(m);
    assertThat(f.verdict()).isEqualTo(Finding.Verdict.FAIL);
    assertThat(f.detail()).contains("twilio.auth-token").doesNotContain("key-secret");
  }

  @Test
  void aPlainWebSocketStreamUrlIsAFailureAndPlainHttpAWarning() {
    Map<String, String> m = account();
    m.put("twilio.webhook-base-url", "http://asterline.example.com");
    assertThat(check(m).verdict()).isEqualTo(Finding.Verdict.FAIL); // derived ws://: Twilio never connects
    m.put("twilio.stream-url", "wss://media.example.com/twilio/stream");
    Finding f = check(m);
    assertThat(f.verdict()).isEqualTo(Finding.Verdict.WARN);
    assertThat(f.detail()).contains("unencrypted");
  }
}
