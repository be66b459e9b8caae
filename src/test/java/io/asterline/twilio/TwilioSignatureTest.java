package io.asterline.twilio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The signature against the vectors Twilio's own libraries are tested with. */
class TwilioSignatureTest {

  private static final String TOKEN = "12345";
  private static final String URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
  private static final Map<String, String> PARAMS = Map.of("Digits", "1234", "CallSid", "CA1234567890ABCDE",
      "To", "+18005551212", "Caller", "+14158675309", "From", "+14158675309");

  @Test
  void matchesTwiliosPublishedVector() {
    assertThat(TwilioSignature.signSingle(TOKEN, URL, PARAMS)).isEqualTo("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    assertThat(valid(URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).isTrue();
  }

  @Test
  void refusesAnythingElse() {
    assertThat(valid(URL, "NOTRSOYDt4T1cUTdK1PDd93/VVr8B8=")).isFalse();
    assertThat(valid(URL, null)).isFalse();
    assertThat(valid(URL, "")).isFalse();
    assertThat(valid(URL.replace("foo=1", "foo=2"), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).isFalse();
    assertThat(TwilioSignature.valid("54321", URL, multi(PARAMS), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).isFalse();
  }

  @Test
  void acceptsTheUrlWithOrWithoutItsPortAsProxiesChangeIt() {
    // a proxy in front added a port: Twilio signed without it
    assertThat(valid(URL.replace(".com", ".com:1234"), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).isTrue();
    // Twilio signed with the default port that the configured URL leaves out
    assertThat(valid(URL, "kvajT1Ptam85bY51eRf/AJRuM3w=")).isTrue();
    assertThat(valid(URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4=")).isTrue();
  }

  @Test
  void aRepeatedParameterIsSignedWithItsValuesSorted() {
    String a = TwilioSignature.sign(TOKEN, URL, Map.of("E", List.of("b", "a")));
    String b = TwilioSignature.sign(TOKEN, URL, Map.of("E", List.of("a", "b")));
    assertThat(a).isEqualTo(b).isEqualTo(TwilioSignature.signSingle(TOKEN, URL + "EaEb", Map.of()));
  }

  private static boolean valid(String url, String signature) {
    return TwilioSignature.valid(TOKEN, url, multi(PARAMS), signature);
  }

  private static Map<String, List<String>> multi(Map<String, String> single) {
    java.util.Map<String, List<String>> m = new java.util.HashMap<>();
    single.forEach((k, v) -> m.put(k, List.of(v)));
    return m;
  }
}
