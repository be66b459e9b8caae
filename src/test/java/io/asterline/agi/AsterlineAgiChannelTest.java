package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;

import org.asteriskjava.fastagi.command.ExecCommand;
import org.junit.jupiter.api.Test;

class AsterlineAgiChannelTest {

  /** Asterisk must receive exactly the line the library would have sent: only the way it is built differs. */
  @Test
  void execLinesAreTheLibrarysLines() {
    String[][] cases = {
        {"MSet", "ASTERLINE_TENANT_ID=7,AJ_AGISTATUS=SUCCESS,ASTERLINE_STATUS=OK"},
        {"MSet", "A=say \"hi\"", "B=C:\\recordings\\x.wav"},
        {"Playback", "line one\nline two"},
        {"NoOp", ""},
        {"MSet", "A=1", null, "B=2"},
        {"Wait"},
    };
    for (String[] c : cases) {
      String[] options = java.util.Arrays.copyOfRange(c, 1, c.length);
      assertThat(new AsterlineAgiChannel.Exec(c[0], options).buildCommand())
          .isEqualTo(new ExecCommand(c[0], options).buildCommand());
    }
    assertThat(new AsterlineAgiChannel.Exec("Wait", (String[]) null).buildCommand())
        .isEqualTo(new ExecCommand("Wait", (String[]) null).buildCommand());
    assertThat(new AsterlineAgiChannel.Exec(null, "x").buildCommand())
        .isEqualTo(new ExecCommand(null, "x").buildCommand());
  }

  /** What res_agi's parser makes of our EXEC lines: the application and its data back, intact. */
  @Test
  void asteriskReadsBackTheApplicationAndItsData() {
    assertThat(ResAgi.parseArgs(new AsterlineAgiChannel.Exec("MSet", "A=say \"hi\", B=C:\\x.wav").buildCommand()))
        .containsExactly("EXEC", "MSet", "A=say \"hi\", B=C:\\x.wav");
    assertThat(ResAgi.parseArgs("SET VARIABLE \"ASTERLINE_STATUS\" \"\""))
        .containsExactly("SET", "VARIABLE", "ASTERLINE_STATUS", "");
    assertThat(ResAgi.parseArgs("GET  VARIABLE\tname\\ with\\ spaces"))
        .containsExactly("GET", "VARIABLE", "name with spaces");
  }
}
