package dev.quire.gateway.admin;

import com.typesafe.config.Config;
import dev.quire.protocol.Role;
import dev.quire.protocol.UserCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A new site's first admin: when the user directory is empty, the user {@code admin} is made with a
 * random password, written to {@code <data-dir>/admin-password} (owner-only) for the operator to
 * read once and change. Gateways starting at once race harmlessly: the directory takes one {@code
 * admin}, refuses the other, and only the node whose user was made writes the file.
 */
public final class FirstAdmin {

  public static final String USERNAME = "admin";
  public static final String FILE = "admin-password";
  private static final int PASSWORD_LENGTH = 20;

  private FirstAdmin() {}

  /**
   * Makes the first admin if the site has no users, trying again while the content role is not
   * reachable yet (a cluster's gateway may start first). Answers the file written, or empty when
   * the site already had users or the feature is off.
   */
  public static CompletionStage<Optional<Path>> ensure(ActorSystem<?> system, Path dataDir) {
    Config config = system.settings().config();
    if (!config.getBoolean("quire.gateway.admin.first-admin")
        || !config.getStringList("quire.gateway.modules").contains("admin")) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    Duration timeout = config.getDuration("quire.gateway.ask-timeout");
    PasswordHasher hasher =
        new PasswordHasher(
            PasswordHasher.Params.fromConfig(config.getConfig("quire.gateway.admin.argon2")));
    return attempt(system, dataDir, hasher, timeout, 0, new Made());
  }

  /**
   * What this run made, once, for all its tries: the password (on disk once written) and its hash.
   * Every try adds the same hash, so an add whose answer was lost and a later try's add are one
   * (the directory answers the second as done), and the file always holds the password of the
   * {@code admin} this run made.
   */
  private static final class Made {
    volatile String hash;
    volatile boolean wrote;
  }

  /**
   * One try. The password file is written before the user is added, and removed if the directory
   * refuses (another gateway made {@code admin} first): so an {@code admin} this node made always
   * has its password on disk, also when the answer to the add was lost and a later try finds the
   * user there.
   */
  private static CompletionStage<Optional<Path>> attempt(
      ActorSystem<?> system,
      Path dataDir,
      PasswordHasher hasher,
      Duration timeout,
      int tries,
      Made made) {
    var users = ClusterSharding.get(system).entityRefFor(UserCommand.ENTITY_KEY, UserCommand.SITE);
    var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    return users
        .<UserCommand.UserList>ask(UserCommand.ListUsers::new, timeout)
        .thenCompose(
            list -> {
              if (!list.users().isEmpty()) {
                boolean ours =
                    made.wrote
                        && list.users().stream().anyMatch(u -> USERNAME.equals(u.username()));
                return CompletableFuture.completedFuture(
                    ours ? Optional.of(dataDir.resolve(FILE)) : Optional.<Path>empty());
              }
              return CompletableFuture.supplyAsync(
                      () -> {
                        if (made.hash == null) {
                          String password = Secrets.password(PASSWORD_LENGTH);
                          write(dataDir, password);
                          made.wrote = true;
                          made.hash = hasher.hash(password);
                        }
                        return made.hash;
                      },
                      blocking)
                  .thenCompose(
                      hash ->
                          users.<UserCommand.UserReply>ask(
                              r ->
                                  new UserCommand.Add(
                                      USERNAME, "Administrator", Role.ADMIN, hash, "setup", r),
                              timeout))
                  .thenApplyAsync(
                      reply -> {
                        if (reply instanceof UserCommand.UserReply.Done) {
                          return Optional.of(dataDir.resolve(FILE));
                        }
                        try {
                          Files.deleteIfExists(dataDir.resolve(FILE));
                        } catch (IOException e) {
                          throw new UncheckedIOException(e);
                        }
                        made.wrote = false;
                        return Optional.<Path>empty();
                      },
                      blocking);
            })
        .handle(
            (done, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(done);
              }
              if (tries >= 60 || system.getWhenTerminated().toCompletableFuture().isDone()) {
                return CompletableFuture.<Optional<Path>>failedFuture(failure);
              }
              CompletableFuture<Optional<Path>> later = new CompletableFuture<>();
              system
                  .scheduler()
                  .scheduleOnce(
                      timeout,
                      () ->
                          attempt(system, dataDir, hasher, timeout, tries + 1, made)
                              .whenComplete(
                                  (v, e) -> {
                                    if (e != null) {
                                      later.completeExceptionally(e);
                                    } else {
                                      later.complete(v);
                                    }
                                  }),
                      system.executionContext());
              return later;
            })
        .thenCompose(x -> x);
  }

  private static Path write(Path dataDir, String password) {
    try {
      Files.createDirectories(dataDir);
      Path file = dataDir.resolve(FILE);
      Path tmp =
          Files.createTempFile(
              dataDir,
              FILE,
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, password + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
