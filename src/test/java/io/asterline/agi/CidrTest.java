package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class CidrTest {

  @Test
  void blocksContainTheirAddressesOnly() throws Exception {
    Cidr loopback = Cidr.parse("127.0.0.0/8");
    assertThat(loopback.contains(InetAddress.getByName("127.1.2.3"))).isTrue();
    assertThat(loopback.contains(InetAddress.getByName("128.0.0.1"))).isFalse();
    assertThat(loopback.contains(InetAddress.getByName("::1"))).isFalse();

    Cidr odd = Cidr.parse("10.1.2.128/25");
    assertThat(odd.contains(InetAddress.getByName("10.1.2.200"))).isTrue();
    assertThat(odd.contains(InetAddress.getByName("10.1.2.127"))).isFalse();

    Cidr host = Cidr.parse("192.168.0.5");
    assertThat(host.prefixLength()).isEqualTo(32);
    assertThat(host.contains(InetAddress.getByName("192.168.0.5"))).isTrue();
    assertThat(host.contains(InetAddress.getByName("192.168.0.6"))).isFalse();

    assertThat(Cidr.parse("::1/128").contains(InetAddress.getByName("::1"))).isTrue();
    assertThat(Cidr.parse("fd00::/8").contains(InetAddress.getByName("fd12::7"))).isTrue();
    assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8"))).isTrue();
  }

  @Test
  void badBlocksAreRefusedNamingTheText() {
    assertThatThrownBy(() -> Cidr.parse("asterisk.local")).hasMessageContaining("'asterisk.local'");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("'10.0.0.0/33'");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("'10.0.0.0/x'");
  }
}
