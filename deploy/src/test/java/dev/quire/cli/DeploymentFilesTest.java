package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No container engine or Kubernetes runs on this machine, so the deployment files are checked for
 * what can be checked here: the manifests parse, every role has one, they run the image the
 * Dockerfile builds with the probes and ports the jar serves, and every QUIRE_* variable they set
 * is one the configuration reads.
 */
class DeploymentFilesTest {

  static final Path DEPLOY = Path.of("").toAbsolutePath();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static List<JsonNode> docs(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isEmpty()) {
          out.add(n);
        }
      }
    }
    return out;
  }

  /** Every QUIRE_* name the packaged configuration reads ({@code ${?QUIRE_...}}). */
  static Set<String> configuredVariables() throws IOException {
    Set<String> names = new HashSet<>();
    Pattern p = Pattern.compile("\\$\\{\\?(QUIRE_[A-Z0-9_]+)}");
    for (String resource : List.of("reference.conf", "application.conf", "cluster.conf")) {
      for (URL url :
          Collections.list(DeploymentFilesTest.class.getClassLoader().getResources(resource))) {
        try (InputStream in = url.openStream()) {
          Matcher m = p.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
          while (m.find()) {
            names.add(m.group(1));
          }
        }
      }
    }
    // Read by code or by the launcher (and the systemd unit) rather than through the configuration
    // files.
    names.addAll(List.of("QUIRE_API_TOKEN", "QUIRE_HEAP", "QUIRE_NATIVE_TRIM_MS"));
    return names;
  }

  static Set<String> quireVariables(String text) {
    Set<String> out = new HashSet<>();
    Matcher m = Pattern.compile("\\b(QUIRE_[A-Z0-9_]+)\\b").matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void theManifestsRunTheImageWithTheProbesAndPortsTheJarServes() throws Exception {
    String dockerfile = Files.readString(DEPLOY.resolve("container/Dockerfile"));
    assertThat(dockerfile).contains("COPY deploy/target/quire.jar /opt/quire/quire.jar");
    assertThat(Files.readString(DEPLOY.resolve("pom.xml")))
        .contains("<finalName>quire</finalName>");
    assertThat(dockerfile).contains("-jar /opt/quire/quire.jar serve");
    Matcher tag = Pattern.compile("-t (\\S+) \\.").matcher(dockerfile);
    assertThat(tag.find()).isTrue();
    String image = tag.group(1);
    Map<String, String> dockerEnv = new HashMap<>();
    Matcher env = Pattern.compile("(QUIRE_[A-Z_]+)=(\\S+?)[ \\\\\\n]").matcher(dockerfile);
    while (env.find()) {
      dockerEnv.put(env.group(1), env.group(2));
    }
    assertThat(dockerEnv).containsEntry("QUIRE_MANAGEMENT", "true");
    String management = dockerEnv.get("QUIRE_MANAGEMENT_PORT");
    String remoting = dockerEnv.get("QUIRE_CLUSTER_PORT");
    // The image runs as a numbered user that is not root, which the pods' runAsUser names.
    Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)$").matcher(dockerfile);
    assertThat(user.find()).as("USER uid:gid by number").isTrue();
    String uid = user.group(1);
    assertThat(Integer.parseInt(uid)).isPositive();
    assertThat(dockerfile).contains("--uid " + uid);

    Set<String> roles = new HashSet<>();
    Set<String> known = configuredVariables();
    List<Path> manifests;
    try (Stream<Path> s = Files.list(DEPLOY.resolve("k8s"))) {
      manifests = s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(manifests).isNotEmpty();
    // The service account the nodes run as may list and watch pods (and nothing else).
    String podReader = null;
    List<JsonNode> all = new java.util.ArrayList<>();
    for (Path file : manifests) {
      all.addAll(docs(file));
    }
    JsonNode reader =
        all.stream().filter(d -> d.path("kind").asText().equals("Role")).findFirst().orElseThrow();
    assertThat(reader.at("/rules/0/resources").toString()).contains("pods");
    assertThat(reader.at("/rules/0/verbs").toString()).contains("list").contains("watch");
    for (JsonNode d : all) {
      if (d.path("kind").asText().equals("RoleBinding")
          && d.at("/roleRef/name").asText().equals(reader.at("/metadata/name").asText())) {
        podReader = d.at("/subjects/0/name").asText();
      }
    }
    // The site's public address, read by every node from one ConfigMap.
    JsonNode site =
        all.stream()
            .filter(d -> d.path("kind").asText().equals("ConfigMap"))
            .filter(d -> d.at("/metadata/name").asText().equals("quire-site"))
            .findFirst()
            .orElseThrow();
    assertThat(site.at("/data/QUIRE_BASE_URL").asText()).startsWith("https://");
    String account = podReader;
    assertThat(all)
        .anyMatch(
            d ->
                d.path("kind").asText().equals("ServiceAccount")
                    && d.at("/metadata/name").asText().equals(account));
    for (Path file : manifests) {
      assertThat(known)
          .as(file + " sets only variables Quire reads")
          .containsAll(quireVariables(Files.readString(file)));
      for (JsonNode doc : docs(file)) {
        assertThat(doc.path("apiVersion").asText()).as(file + ": apiVersion").isNotEmpty();
        assertThat(doc.path("kind").asText()).as(file + ": kind").isNotEmpty();
        assertThat(doc.at("/metadata/name").asText()).as(file + ": metadata.name").isNotEmpty();
        String kind = doc.get("kind").asText();
        if (!kind.equals("Deployment") && !kind.equals("StatefulSet")) {
          continue;
        }
        JsonNode c = doc.at("/spec/template/spec/containers/0");
        assertThat(c.path("image").asText()).as(file + ": image").isEqualTo(image);
        assertThat(c.path("envFrom").toString())
            .as(file + ": the site's settings")
            .contains("\"configMapRef\":{\"name\":\"quire-site\"}");
        // Not root, no privilege escalation, no capabilities, the runtime's seccomp profile.
        JsonNode pod = doc.at("/spec/template/spec/securityContext");
        assertThat(pod.path("runAsNonRoot").asBoolean()).as(file + ": runAsNonRoot").isTrue();
        assertThat(pod.path("runAsUser").asText()).as(file + ": runAsUser").isEqualTo(uid);
        assertThat(pod.at("/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true))
            .as(file + ": allowPrivilegeEscalation")
            .isFalse();
        assertThat(c.at("/securityContext/capabilities/drop").toString()).contains("ALL");
        String role = null;
        Map<String, String> podEnv = new HashMap<>();
        for (JsonNode e : c.path("env")) {
          if (e.path("name").asText().equals("QUIRE_ROLES")) {
            role = e.path("value").asText();
          }
          podEnv.put(e.path("name").asText(), e.path("value").asText());
        }
        // Each pod has only the Secret it uses: the gateways, facing visitors, no database
        // password; the embedding nodes nothing.
        List<String> secrets = new ArrayList<>();
        for (JsonNode from : c.path("envFrom")) {
          if (from.has("secretRef")) {
            secrets.add(from.at("/secretRef/name").asText());
          }
        }
        assertThat(secrets)
            .as(file + ": the Secrets of role " + role)
            .containsExactlyElementsOf(
                switch (String.valueOf(role)) {
                  case "content", "crawler" -> List.of("quire-db");
                  case "gateway" -> List.of("quire-api");
                  default -> List.of();
                });
        // Cluster Bootstrap through the Kubernetes API: the pods are found by label app=<service
        // name> with a port named "management", with the pod-reader service account.
        assertThat(podEnv)
            .as(file + ": bootstrap")
            .containsEntry("QUIRE_CLUSTER_JOIN", "bootstrap")
            .containsEntry("QUIRE_DISCOVERY_METHOD", "kubernetes-api")
            .containsEntry("QUIRE_DISCOVERY_PORT_NAME", "management")
            .containsKey("QUIRE_MANAGEMENT_HOST")
            .containsKey("QUIRE_K8S_NAMESPACE");
        assertThat(doc.at("/spec/template/metadata/labels/app").asText()).isEqualTo("quire");
        assertThat(doc.at("/spec/template/spec/serviceAccountName").asText()).isEqualTo(podReader);
        assertThat(QuireNode.KNOWN_ROLES).as(file + ": QUIRE_ROLES").contains(role);
        roles.add(role);
        Map<String, String> ports = new HashMap<>();
        for (JsonNode p : c.path("ports")) {
          ports.put(p.path("name").asText(), p.path("containerPort").asText());
        }
        assertThat(ports)
            .containsEntry("management", management)
            .containsEntry("remoting", remoting);
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/ready");
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/alive");
        assertThat(c.at("/readinessProbe/httpGet/port").asText()).isEqualTo("management");
        assertThat(doc.at("/spec/template/metadata/labels/role").asText()).isEqualTo(role);
      }
    }
    assertThat(roles)
        .as("a manifest per role")
        .containsExactlyInAnyOrderElementsOf(QuireNode.KNOWN_ROLES);
    assertThat(known).containsAll(quireVariables(dockerfile));

    String unit = Files.readString(DEPLOY.resolve("systemd/quire@.service"));
    assertThat(unit)
        .contains("-jar /opt/quire/quire.jar serve")
        .contains("Environment=QUIRE_ROLES=%i")
        // The sandbox leaves the node its data directory, which systemd makes for it.
        .contains("Environment=QUIRE_DATA=/var/lib/quire/%i")
        .contains("StateDirectory=quire/%i")
        .contains("ProtectSystem=strict")
        .contains("NoNewPrivileges=yes")
        .doesNotContain("MemoryDenyWriteExecute=yes");
    assertThat(known).containsAll(quireVariables(unit));
  }
}
