package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Asterisk's replies, line for line as res_agi.c writes them, to what Asterline's scripts send. */
class ResAgiTest {

  @Test
  void execMSetSetsEachPairInOrderAndAnswersTheApplicationsResult() {
    Map<String, String> vars = new LinkedHashMap<>();
    ResAgi asterisk = new ResAgi(vars);
    // the line our channel writes for a whole inbound answer
    String line = new AsterlineAgiChannel.Exec("MSet",
        "ASTERLINE_CALL_ID=0f8fad5b-d9cb-469f-a165-70867728950e,ASTERLINE_AUDIOSOCKET=127.0.0.1:9092,"
            + "AJ_AGISTATUS=SUCCESS,ASTERLINE_STATUS=OK").buildCommand();

    assertThat(asterisk.reply(line)).isEqualTo("200 result=0");
    assertThat(vars).containsEntry("ASTERLINE_CALL_ID", "0f8fad5b-d9cb-469f-a165-70867728950e")
        .containsEntry("ASTERLINE_AUDIOSOCKET", "127.0.0.1:9092").containsEntry("ASTERLINE_STATUS", "OK");
    assertThat(asterisk.setOrder()).containsExactly("ASTERLINE_CALL_ID", "ASTERLINE_AUDIOSOCKET", "AJ_AGISTATUS",
        "ASTERLINE_STATUS");
    assertThat(asterisk.reply("exec mset \"A=1\"")).as("commands and applications in any case").isEqualTo("200 result=0");
    assertThat(vars).containsEntry("A", "1");
  }

  @Test
  void execOfAnApplicationThisAsteriskLacksAnswersMinusTwo() {
    assertThat(new ResAgi(new LinkedHashMap<>()).reply("EXEC \"Playback\" \"hello\"")).isEqualTo("200 result=-2");
    assertThat(new ResAgi(new LinkedHashMap<>(), Set.of("mset")).reply("EXEC \"MSet\" \"A=1\""))
        .isEqualTo("200 result=-2");
    assertThat(new ResAgi(new LinkedHashMap<>()).reply("EXEC")).startsWith("520");
  }

  @Test
  void setAndGetVariableQuotedAndEscaped() {
    Map<String, String> vars = new LinkedHashMap<>();
    ResAgi asterisk = new ResAgi(vars);
    assertThat(asterisk.reply("SET VARIABLE \"ASTERLINE_STATUS\" \"OK\"")).isEqualTo("200 result=1");
    assertThat(asterisk.reply("SET VARIABLE ASTERLINE_NOTE \"say \\\"hi\\\" twice\"")).isEqualTo("200 result=1");
    assertThat(vars).containsEntry("ASTERLINE_STATUS", "OK").containsEntry("ASTERLINE_NOTE", "say \"hi\" twice");
    assertThat(asterisk.reply("GET VARIABLE \"ASTERLINE_STATUS\"")).isEqualTo("200 result=1 (OK)");
    assertThat(asterisk.reply("GET VARIABLE NOPE")).isEqualTo("200 result=0");
    assertThat(asterisk.reply("GET FULL VARIABLE \"${ASTERLINE_STATUS}-x\"")).isEqualTo("200 result=1 (OK-x)");
    assertThat(asterisk.reply("SET VARIABLE ONLY_A_NAME")).startsWith("520");
  }

  @Test
  void verboseNoopAnswerAndUnknownCommands() {
    ResAgi asterisk = new ResAgi(new LinkedHashMap<>());
    assertThat(asterisk.reply("VERBOSE \"Script not found\" 1")).isEqualTo("200 result=1");
    assertThat(asterisk.reply("NOOP")).isEqualTo("200 result=0");
    assertThat(asterisk.reply("CHANNEL STATUS")).as("ringing before Answer()").isEqualTo("200 result=4");
    assertThat(asterisk.reply("ANSWER")).isEqualTo("200 result=0");
    assertThat(asterisk.reply("CHANNEL STATUS")).isEqualTo("200 result=6");
    assertThat(asterisk.reply("STREAM FILE hello \"\"")).isEqualTo("510 Invalid or unknown command");
    assertThat(asterisk.reply("")).isEqualTo("510 Invalid or unknown command");
  }
}
