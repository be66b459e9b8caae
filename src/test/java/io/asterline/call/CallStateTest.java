package io.asterline.call;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The call's states, decisions, routes and outcomes: the texts stored, and the moves a write may make. */
class CallStateTest {

  @Test
  void aCallOnlyMovesForwardAndNothingLeavesAnEnd() {
    assertThat(CallState.from(CallState.RINGING)).containsExactly(CallState.CREATED);
    assertThat(CallState.from(CallState.ANSWERED)).containsExactly(CallState.CREATED, CallState.RINGING);
    assertThat(CallState.from(CallState.FAILED)).containsExactly(CallState.CREATED, CallState.RINGING);
    assertThat(CallState.from(CallState.CONNECTED))
        .containsExactly(CallState.CREATED, CallState.RINGING, CallState.ANSWERED);
    assertThat(CallState.from(CallState.ENDED))
        .containsExactly(CallState.CREATED, CallState.RINGING, CallState.ANSWERED, CallState.CONNECTED);
    assertThat(CallState.from(CallState.CREATED)).isEmpty();
    for (CallState s : CallState.FINAL) {
      assertThat(EnumSet.allOf(CallState.class)).noneMatch(s::canMoveTo);
    }
  }

  @Test
  void everyTypeReadsBackWhatItStoresAndNamesTheValidOnesForAnythingElse() {
    for (CallState s : CallState.values()) {
      assertThat(CallState.ofDbValue(s.dbValue())).isSameAs(s);
    }
    for (Decision d : Decision.values()) {
      assertThat(Decision.ofDbValue(d.dbValue())).isSameAs(d);
    }
    for (Route r : Route.values()) {
      assertThat(Route.ofDbValue(r.dbValue())).isSameAs(r);
    }
    for (CallOutcome o : CallOutcome.values()) {
      assertThat(CallOutcome.ofDbValue(o.dbValue())).isSameAs(o);
    }
    assertThatThrownBy(() -> CallState.ofDbValue("CONNECTED"))
        .hasMessage("unknown call state 'CONNECTED', expected one of [created, ringing, answered, connected, ended,"
            + " failed]");
    assertThatThrownBy(() -> Decision.ofDbValue(null)).hasMessageContaining("[hangup, transfer, voicemail]");
    assertThatThrownBy(() -> Route.ofDbValue("queue")).hasMessageContaining("[agent, forward, voicemail, reject]");
    assertThatThrownBy(() -> CallOutcome.ofDbValue("busy ")).hasMessageContaining("unknown call outcome 'busy '");
    // call-end stores a DIALSTATUS as Asterisk gives it: a newer one is not an error, only not one of these
    assertThat(CallOutcome.find("SOMETHINGNEW")).isEmpty();
  }

  @Test
  void theStatesAreTheOnesTheSchemaAllows() throws Exception {
    String v1;
    try (var in = getClass().getResourceAsStream("/db/migration/V1__schema.sql")) {
      v1 = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    int check = v1.indexOf("call_state_known");
    String allowed = v1.substring(check, v1.indexOf("created_at", check));
    for (CallState s : CallState.values()) {
      assertThat(allowed).contains("'" + s.dbValue() + "'");
    }
    assertThat(allowed.chars().filter(c -> c == '\'').count()).isEqualTo(2L * CallState.values().length);
  }
}
