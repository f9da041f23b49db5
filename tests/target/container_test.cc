// SPDX-License-Identifier: Apache-2.0
// Unit tests of cc/target/container: fake node roots in TEST_TMPDIR with the
// state directories of containerd, CRI-O and Podman, and a fake Docker Engine
// answering on a unix socket from a thread of this test.
#include "cc/target/container.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/tmpdir.h"
#include "tests/target/fake_runtime.h"

namespace sysstream {
namespace {

// A fake daemon that hangs up early must not kill the test with SIGPIPE
// (sysstream's main blocks it; the library leaves that to its caller).
const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

using fake_runtime::CriContainer;
using fake_runtime::CrioContainer;
using fake_runtime::CrioInfra;
using fake_runtime::CriSandbox;
using fake_runtime::DockerInspectBody;
using fake_runtime::FakeDocker;
using fake_runtime::HttpReply;
using fake_runtime::kAppId;
using fake_runtime::kDockerId;
using fake_runtime::kPodmanId;
using fake_runtime::kSidecarId;
using fake_runtime::kWebSandboxId;
using fake_runtime::MakeDirs;
using fake_runtime::OciConfig;
using fake_runtime::StaleSocket;
using fake_runtime::WebOnly;
using fake_runtime::WriteFile;

// More ids (fake_runtime.h has those of pod ns/web, Podman's and Docker's).
// Pod ns/db's container "postgres".
constexpr char kDbId[] =
    "d0d0d0d0e1e1e1e1f2f2f2f2a3a3a3a3b4b4b4b4c5c5c5c5d6d6d6d6e7e7e7e7";
// A task of Docker's own, in containerd's namespace "moby".
constexpr char kMobyId[] =
    "b0b0b0b0c1c1c1c1d2d2d2d2e3e3e3e3f4f4f4f4a5a5a5a5b6b6b6b6c7c7c7c7";
// CRI-O: pod prod/shop's container "api" and the pod's infra container,
// their ids alike up to "c4c4c4c".
constexpr char kCrioId[] =
    "c4c4c4c40000111122223333444455556666777788889999aaaabbbbccccdddd";
constexpr char kCrioInfraId[] =
    "c4c4c4c5ffffeeeeddddccccbbbbaaaa9999888877776666555544443333ffff";

// --- fake node roots ------------------------------------------------------

// A fake node root, with the RuntimeConfig that looks there.
class FakeRoot : public fake_runtime::FakeRoot {
 public:
  using fake_runtime::FakeRoot::FakeRoot;

  RuntimeConfig Config() const {
    RuntimeConfig c;
    c.host_root = path();
    return c;
  }

  // Every kind of entry, each runtime once.
  void Populate() {
    // containerd, Kubernetes: pod ns/web = sandbox + app + sidecar; pod
    // ns/db = postgres; pod other/web = app (same names, other namespace).
    WebPod("100\n", "101\n", "102");
    Containerd("k8s.io", kDbId, OciConfig(CriContainer("postgres", "ns", "db")),
               " 103 \n");
    // Docker's own tasks: asked through its API, not here.
    Containerd("moby", kMobyId, OciConfig({}), "104\n");
    // CRI-O: a container and its pod's infra container.
    Storage(kCrioId, OciConfig(CrioContainer("api", "prod", "shop")), "201\n");
    Storage(kCrioInfraId, OciConfig(CrioInfra("prod", "shop")), "200\n");
    // Podman: no Kubernetes annotations; the name comes from
    // containers.json, which lists CRI-O's containers too.
    Storage(kPodmanId,
            OciConfig({{"io.podman.annotations.autoremove", "FALSE"},
                       {"org.opencontainers.image.stopSignal", "15"}}),
            "301\n");
    PodmanIndex({{kCrioId, "k8s_api_shop_prod_0123-4567_0"},
                 {kCrioInfraId, "k8s_POD_shop_prod_0123-4567_0"},
                 {kPodmanId, "webserver"}});
  }
};

std::string Describe(const Container& c) {
  return absl::StrCat(c.runtime, "|", c.id, "|", c.name, "|", c.pod_namespace,
                      "|", c.pod_name, "|", c.pid);
}

std::vector<std::string> DescribeAll(const std::vector<Container>& cs) {
  std::vector<std::string> out;
  for (const Container& c : cs) out.push_back(Describe(c));
  return out;
}

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// --- state directories -----------------------------------------------------

TEST(ListStateContainersTest, EveryRuntimeSandboxesAndMobyLeftOut) {
  FakeRoot root;
  root.Populate();
  absl::StatusOr<std::vector<Container>> cs =
      ListStateContainers(root.Config());
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_THAT(
      DescribeAll(*cs),
      UnorderedElementsAre(
          absl::StrCat("containerd|", kAppId, "|app|ns|web|101"),
          absl::StrCat("containerd|", kSidecarId, "|sidecar|ns|web|102"),
          absl::StrCat("containerd|", kDbId, "|postgres|ns|db|103"),
          absl::StrCat("cri-o|", kCrioId, "|api|prod|shop|201"),
          absl::StrCat("podman|", kPodmanId, "|webserver|||301")));
}

TEST(ListStateContainersTest, EmptyOrMissingRoot) {
  FakeRoot root;
  absl::StatusOr<std::vector<Container>> cs =
      ListStateContainers(root.Config());
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_THAT(*cs, IsEmpty());
  RuntimeConfig missing;
  missing.host_root = root.path() + "/does/not/exist";
  cs = ListStateContainers(missing);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_THAT(*cs, IsEmpty());
}

TEST(ListStateContainersTest, HostRootWithTrailingSlash) {
  FakeRoot root;
  root.Populate();
  RuntimeConfig c = root.Config();
  c.host_root += "/";
  absl::StatusOr<std::vector<Container>> cs = ListStateContainers(c);
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->size(), 5u);
}

TEST(ListStateContainersTest, UnnamedContainerdTaskIsNamedByIdOrNerdctl) {
  FakeRoot root;
  root.Containerd("default", "plain", OciConfig({}), "1\n");
  root.Containerd("default", "nerd", OciConfig({{"nerdctl/name", "mynginx"}}),
                  "2\n");
  absl::StatusOr<std::vector<Container>> cs =
      ListStateContainers(root.Config());
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_THAT(DescribeAll(*cs),
              UnorderedElementsAre("containerd|plain|plain|||1",
                                   "containerd|nerd|mynginx|||2"));
}

TEST(ListStateContainersTest, TaskWithoutConfigIsSkipped) {
  // A task being created or deleted has no config.json yet / any more.
  FakeRoot root;
  MakeDirs(root.ContainerdDir("k8s.io", "half"));
  WriteFile(root.ContainerdDir("k8s.io", "half") + "/init.pid", "5\n");
  MakeDirs(root.StorageDir("half2"));
  absl::StatusOr<std::vector<Container>> cs =
      ListStateContainers(root.Config());
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_THAT(*cs, IsEmpty());
}

// --- FindContainer over state ----------------------------------------------

TEST(FindContainerTest, ByName) {
  FakeRoot root;
  root.Populate();
  absl::StatusOr<Container> c = FindContainer("postgres", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Describe(*c),
            absl::StrCat("containerd|", kDbId, "|postgres|ns|db|103"));

  c = FindContainer("api", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Describe(*c),
            absl::StrCat("cri-o|", kCrioId, "|api|prod|shop|201"));

  c = FindContainer("webserver", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Describe(*c),
            absl::StrCat("podman|", kPodmanId, "|webserver|||301"));
}

TEST(FindContainerTest, ByFullId) {
  FakeRoot root;
  root.Populate();
  for (const char* id : {kAppId, kSidecarId, kDbId, kCrioId, kPodmanId}) {
    absl::StatusOr<Container> c = FindContainer(id, root.Config());
    ASSERT_TRUE(c.ok()) << id << ": " << c.status();
    EXPECT_EQ(c->id, id);
  }
}

TEST(FindContainerTest, ByIdPrefix) {
  FakeRoot root;
  root.Populate();
  absl::StatusOr<Container> c = FindContainer("3f2c", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, kAppId);
  c = FindContainer("a1b2c3d4e5f6", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, kSidecarId);
  // Upper case is not how ids are written.
  EXPECT_EQ(FindContainer("3F2C", root.Config()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FindContainerTest, ShortPrefixIsNotEnough) {
  FakeRoot root;
  root.Populate();
  absl::StatusOr<Container> c = FindContainer("3f2", root.Config());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
}

TEST(FindContainerTest, PrefixOfSeveralIdsIsAmbiguous) {
  FakeRoot root;
  root.Populate();
  // kCrioId and kCrioInfraId share "c4c4c4c", but the infra container is
  // not a candidate.
  absl::StatusOr<Container> c = FindContainer("c4c4c4c", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->id, kCrioId);
  // A second task whose id starts like kAppId's.
  root.Containerd("k8s.io", "3f2c0000", OciConfig({}), "9\n");
  c = FindContainer("3f2c", root.Config());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Msg(c.status()), StartsWith("ambiguous"));
}

TEST(FindContainerTest, SandboxAndMobyAreNotCandidates) {
  FakeRoot root;
  root.Populate();
  for (const char* q : {kWebSandboxId, "5555aaaa", kMobyId, "b0b0b0b0",
                        kCrioInfraId, "POD", "k8s_POD_shop_prod_0123-4567_0"}) {
    absl::StatusOr<Container> c = FindContainer(q, root.Config());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound)
        << q << ": " << c.status();
  }
}

TEST(FindContainerTest, UnknownNameIsNotFoundAndNamesQueryAndRoot) {
  FakeRoot root;
  root.Populate();
  absl::StatusOr<Container> c = FindContainer("nosuchthing", root.Config());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(c.status()), HasSubstr("'nosuchthing'"));
  EXPECT_THAT(Msg(c.status()), HasSubstr(root.path()));
}

TEST(FindContainerTest, SameNameInTwoRuntimesIsAmbiguous) {
  FakeRoot root;
  root.Containerd("k8s.io", kAppId, OciConfig(CriContainer("web", "ns", "a")),
                  "101\n");
  root.Podman(kPodmanId, "web", "301\n");
  absl::StatusOr<Container> c = FindContainer("web", root.Config());
  ASSERT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition)
      << c.status();
  const std::string m = Msg(c.status());
  EXPECT_THAT(m, StartsWith("ambiguous"));
  EXPECT_THAT(m, HasSubstr("'web'"));
  EXPECT_THAT(m, HasSubstr("containerd"));
  EXPECT_THAT(m, HasSubstr(std::string(kAppId).substr(0, 12)));
  EXPECT_THAT(m, HasSubstr("podman"));
  EXPECT_THAT(m, HasSubstr(std::string(kPodmanId).substr(0, 12)));
  EXPECT_THAT(m, HasSubstr("ns/a"));
  // Either is still reachable by id.
  absl::StatusOr<Container> by_id = FindContainer(kPodmanId, root.Config());
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->runtime, "podman");
}

TEST(FindContainerTest, SameContainerNameInTwoPodsIsAmbiguous) {
  FakeRoot root;
  root.Containerd("k8s.io", kAppId, OciConfig(CriContainer("app", "ns", "web")),
                  "101\n");
  root.Containerd("k8s.io", kSidecarId,
                  OciConfig(CriContainer("app", "other", "web")), "102\n");
  absl::StatusOr<Container> c = FindContainer("app", root.Config());
  ASSERT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(Msg(c.status()), HasSubstr("ns/web"));
  EXPECT_THAT(Msg(c.status()), HasSubstr("other/web"));
}

TEST(FindContainerTest, NotRunning) {
  FakeRoot root;
  root.Containerd("k8s.io", kAppId, OciConfig(CriContainer("nopid", "n", "p")),
                  "");
  root.Containerd("k8s.io", kSidecarId,
                  OciConfig(CriContainer("zeropid", "n", "p")), "0\n");
  root.Containerd("k8s.io", kDbId, OciConfig(CriContainer("badpid", "n", "p")),
                  "12ab\n");
  root.Storage(kCrioId, OciConfig(CrioContainer("negpid", "n", "p")), "-5\n");
  root.Storage(kPodmanId, OciConfig(CrioContainer("hugepid", "n", "p")),
               "99999999999\n");
  for (const char* name : {"nopid", "zeropid", "badpid", "negpid", "hugepid"}) {
    absl::StatusOr<Container> c = FindContainer(name, root.Config());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << name;
    EXPECT_THAT(Msg(c.status()), HasSubstr("is not running")) << name;
    EXPECT_THAT(Msg(c.status()), HasSubstr(name));
  }
}

TEST(FindContainerTest, MalformedConfigIsDataLossNamingTheFile) {
  FakeRoot root;
  root.Containerd("k8s.io", kAppId, "{\"ociVersion\": \"1.1.0\", \"annot", "1");
  absl::StatusOr<Container> c = FindContainer("app", root.Config());
  ASSERT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
  EXPECT_THAT(Msg(c.status()),
              HasSubstr(root.ContainerdDir("k8s.io", kAppId) + "/config.json"));
}

TEST(FindContainerTest, MalformedStorageConfigIsDataLossNamingTheFile) {
  FakeRoot root;
  root.Storage(kCrioId, "[1, 2, 3]", "1");
  absl::StatusOr<Container> c = FindContainer("api", root.Config());
  ASSERT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
  EXPECT_THAT(Msg(c.status()),
              HasSubstr(root.StorageDir(kCrioId) + "/config.json"));
}

TEST(FindContainerTest, AnnotationsNotAnObjectIsDataLoss) {
  FakeRoot root;
  root.Containerd("k8s.io", kAppId,
                  R"({"ociVersion": "1.1.0", "annotations": ["a", "b"]})", "1");
  absl::StatusOr<Container> c = FindContainer("app", root.Config());
  ASSERT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
  EXPECT_THAT(Msg(c.status()), HasSubstr("config.json"));
  EXPECT_THAT(Msg(c.status()), HasSubstr("annotations"));
}

TEST(FindContainerTest, MalformedPodmanIndexIsDataLossNamingTheFile) {
  FakeRoot root;
  WriteFile(root.PodmanIndexPath(), "{\"not\": \"an array\"}");
  absl::StatusOr<Container> c = FindContainer("web", root.Config());
  ASSERT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
  EXPECT_THAT(Msg(c.status()), HasSubstr("containers.json"));
}

TEST(FindContainerTest, OversizedStateFileIsDataLoss) {
  // State files over 4 MiB are refused as malformed (ReadBounded).
  const std::string padding(5 << 20, ' ');
  std::string big = OciConfig(CriContainer("app", "ns", "web"));
  big.insert(big.size() - 1, padding);
  std::vector<std::string> bugs;
  {
    FakeRoot root;
    root.Containerd("k8s.io", kAppId, big, "1");
    absl::StatusOr<Container> c = FindContainer("app", root.Config());
    if (c.status().code() == absl::StatusCode::kNotFound) {
      bugs.push_back("containerd config.json (container.cc:186-187)");
    } else {
      EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
      EXPECT_THAT(Msg(c.status()), HasSubstr("config.json"));
    }
  }
  {
    FakeRoot root;
    root.Storage(kCrioId, big, "1");
    absl::StatusOr<Container> c = FindContainer("app", root.Config());
    if (c.status().code() == absl::StatusCode::kNotFound) {
      bugs.push_back("storage userdata/config.json (container.cc:237-238)");
    } else {
      EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
    }
  }
  {
    FakeRoot root;
    root.Storage(kPodmanId, OciConfig({}), "1");
    WriteFile(root.PodmanIndexPath(), absl::StrCat("[", padding, "]"));
    absl::StatusOr<Container> c = FindContainer("web", root.Config());
    if (c.status().code() == absl::StatusCode::kNotFound) {
      bugs.push_back("containers.json (container.cc:214-215)");
    } else {
      EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
    }
  }
  EXPECT_TRUE(bugs.empty())
      << "NotFound instead of DataLoss for: " << absl::StrJoin(bugs, "; ");
}

TEST(FindContainerTest, InvalidNames) {
  FakeRoot root;
  root.Populate();
  for (const std::string& q :
       {std::string(""), std::string("a b"), std::string("../etc"),
        std::string("web;rm"), std::string("ns/web"), std::string("web\n"),
        std::string("we\0b", 4), std::string("caf\xc3\xa9"),
        std::string("web?x=1"), std::string("web#"), std::string(254, 'a')}) {
    absl::StatusOr<Container> c = FindContainer(q, root.Config());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument)
        << "'" << q << "': " << c.status();
  }
  // The longest allowed name is looked up (and not found).
  EXPECT_EQ(FindContainer(std::string(253, 'a'), root.Config()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(FindContainer("my_web-1.2", root.Config()).status().code(),
            absl::StatusCode::kNotFound);
}

// --- FindPod -------------------------------------------------------------

TEST(FindPodTest, ExactlyThePodsContainers) {
  FakeRoot root;
  root.Populate();
  absl::StatusOr<std::vector<Container>> web = FindPod("ns/web", root.Config());
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_THAT(
      DescribeAll(*web),
      UnorderedElementsAre(
          absl::StrCat("containerd|", kAppId, "|app|ns|web|101"),
          absl::StrCat("containerd|", kSidecarId, "|sidecar|ns|web|102")));

  absl::StatusOr<std::vector<Container>> db = FindPod("ns/db", root.Config());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_THAT(DescribeAll(*db),
              UnorderedElementsAre(
                  absl::StrCat("containerd|", kDbId, "|postgres|ns|db|103")));

  absl::StatusOr<std::vector<Container>> shop =
      FindPod("prod/shop", root.Config());
  ASSERT_TRUE(shop.ok()) << shop.status();
  EXPECT_THAT(DescribeAll(*shop),
              UnorderedElementsAre(
                  absl::StrCat("cri-o|", kCrioId, "|api|prod|shop|201")));
}

TEST(FindPodTest, SamePodNameInOtherNamespaceAndStoppedContainersLeftOut) {
  FakeRoot root;
  root.Populate();
  root.Containerd("k8s.io", "0000aaaa",
                  OciConfig(CriContainer("app", "other", "web")), "150\n");
  root.Containerd("k8s.io", "0000bbbb",
                  OciConfig(CriContainer("init", "ns", "web")), "");
  absl::StatusOr<std::vector<Container>> web = FindPod("ns/web", root.Config());
  ASSERT_TRUE(web.ok()) << web.status();
  std::vector<std::string> ids;
  for (const Container& c : *web) ids.push_back(c.id);
  EXPECT_THAT(ids, UnorderedElementsAre(kAppId, kSidecarId));
  absl::StatusOr<std::vector<Container>> other =
      FindPod("other/web", root.Config());
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].id, "0000aaaa");
}

TEST(FindPodTest, UnknownPodIsNotFound) {
  FakeRoot root;
  root.Populate();
  for (const char* pod : {"ns/nope", "web/ns", "nope/web"}) {
    absl::StatusOr<std::vector<Container>> p = FindPod(pod, root.Config());
    EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound) << pod;
    EXPECT_THAT(Msg(p.status()), HasSubstr(pod));
  }
}

TEST(FindPodTest, OnlySandboxLeftIsNotFound) {
  FakeRoot root;
  root.Containerd("k8s.io", kWebSandboxId, OciConfig(CriSandbox("ns", "web")),
                  "100\n");
  EXPECT_EQ(FindPod("ns/web", root.Config()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FindPodTest, BadSyntaxIsInvalidArgument) {
  FakeRoot root;
  root.Populate();
  for (const char* pod :
       {"web", "", "/web", "ns/", "/", "ns/web/x", "ns//web", "n s/web",
        "ns/we b", "ns/web\n", "../web", "ns/.."}) {
    absl::StatusOr<std::vector<Container>> p = FindPod(pod, root.Config());
    if (std::string(pod) == "../web" || std::string(pod) == "ns/..") {
      // ".." is made of allowed characters; it just names no pod.
      EXPECT_FALSE(p.ok()) << pod;
      continue;
    }
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument)
        << "'" << pod << "': " << p.status();
  }
}

TEST(FindPodTest, MalformedStateIsDataLoss) {
  FakeRoot root;
  root.Containerd("k8s.io", kAppId, "not json", "1");
  absl::StatusOr<std::vector<Container>> p = FindPod("ns/web", root.Config());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kDataLoss) << p.status();
}

// --- parsers -------------------------------------------------------------

TEST(ParseOciAnnotationsTest, Kinds) {
  absl::StatusOr<Container> c =
      ParseOciAnnotations(OciConfig(CriContainer("app", "ns", "web")));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "app");
  EXPECT_EQ(c->pod_namespace, "ns");
  EXPECT_EQ(c->pod_name, "web");
  EXPECT_EQ(c->runtime, "");  // the caller knows it
  EXPECT_EQ(c->pid, 0u);

  c = ParseOciAnnotations(OciConfig(CriSandbox("ns", "web")));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->runtime, "sandbox");

  c = ParseOciAnnotations(OciConfig(CrioContainer("api", "prod", "shop")));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->runtime, "cri-o");
  EXPECT_EQ(c->name, "api");
  EXPECT_EQ(c->pod_namespace, "prod");
  EXPECT_EQ(c->pod_name, "shop");

  c = ParseOciAnnotations(OciConfig(CrioInfra("prod", "shop")));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->runtime, "sandbox");

  c = ParseOciAnnotations(OciConfig({{"nerdctl/name", "mynginx"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "mynginx");
  EXPECT_EQ(c->pod_name, "");
}

TEST(ParseOciAnnotationsTest, NoOrEmptyAnnotations) {
  for (const char* text :
       {"{}", R"({"ociVersion": "1.0.2"})", R"({"annotations": {}})"}) {
    absl::StatusOr<Container> c = ParseOciAnnotations(text);
    ASSERT_TRUE(c.ok()) << text << ": " << c.status();
    EXPECT_EQ(c->name, "") << text;
    EXPECT_EQ(c->runtime, "") << text;
  }
}

TEST(ParseOciAnnotationsTest, NonStringValuesAreIgnored) {
  absl::StatusOr<Container> c = ParseOciAnnotations(
      R"({"annotations": {"io.kubernetes.cri.container-name": 7,
                          "io.kubernetes.cri.container-type": ["sandbox"],
                          "io.kubernetes.cri.sandbox-name": null}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "");
  EXPECT_EQ(c->runtime, "");
  EXPECT_EQ(c->pod_name, "");
}

TEST(ParseOciAnnotationsTest, Malformed) {
  for (const char* text :
       {"", "not json", "{", "[]", "\"annotations\"", "42", "null",
        R"({"annotations": []})", R"({"annotations": "x"})",
        R"({"annotations": 1})"}) {
    absl::StatusOr<Container> c = ParseOciAnnotations(text);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss)
        << "'" << text << "'";
  }
}

std::string Inspect(const json& pid) {
  json j = {{"Id", kDockerId},
            {"Name", "/web"},
            {"State", {{"Status", "running"}, {"Running", true}}}};
  if (!pid.is_null()) j["State"]["Pid"] = pid;
  return j.dump();
}

TEST(ParseDockerInspectTest, Running) {
  absl::StatusOr<Container> c = ParseDockerInspect(Inspect(4321));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Describe(*c), absl::StrCat("docker|", kDockerId, "|web|||4321"));
}

TEST(ParseDockerInspectTest, PidZeroNegativeOrAbsentMeansNotRunning) {
  for (const json& pid : {json(0), json(-1), json(nullptr), json("4321"),
                          json(12.5), json(true)}) {
    absl::StatusOr<Container> c = ParseDockerInspect(Inspect(pid));
    ASSERT_TRUE(c.ok()) << pid.dump() << ": " << c.status();
    EXPECT_EQ(c->pid, 0u) << pid.dump();
  }
}

TEST(ParseDockerInspectTest, PidOutOfRangeIsNotTruncated) {
  // 2^32 + 1 must not become pid 1 (init).
  absl::StatusOr<Container> c =
      ParseDockerInspect(Inspect(json(uint64_t{4294967297ULL})));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
}

TEST(ParseDockerInspectTest, NameWithoutSlashAndNoName) {
  absl::StatusOr<Container> c = ParseDockerInspect(
      R"({"Id": "abc", "Name": "plain", "State": {"Pid": 5}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "plain");
  c = ParseDockerInspect(R"({"Id": "abc", "State": {"Pid": 5}})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "");
  EXPECT_EQ(c->pid, 5u);
}

TEST(ParseDockerInspectTest, Malformed) {
  for (const char* body :
       {"", "not json", "<html>502 Bad Gateway</html>", "[]", "null",
        R"({"message": "No such container: web"})",
        R"({"Id": "", "State": {"Pid": 1}})", R"({"Id": 5, "State": {}})",
        R"({"Id": "abc"})", R"({"Id": "abc", "State": 7})",
        R"({"Id": "abc", "State": [1]})"}) {
    absl::StatusOr<Container> c = ParseDockerInspect(body);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss)
        << "'" << body << "'";
  }
}

// --- the Docker Engine API -----------------------------------------------

// Each test has a directory for sockets, dir_, short enough for sun_path.
class DockerTest : public testutil::TempDirTest {
 protected:
  DockerTest() : TempDirTest("dk", testutil::SocketTmpDir()) {}

  RuntimeConfig Config(const FakeRoot& root, const std::string& sock) {
    RuntimeConfig c = root.Config();
    c.docker_host = "unix://" + sock;
    return c;
  }

  // FindContainer against a daemon that answers every request with `reply`
  // (kSilent or kTrickle); `*took` is how long it took.
  absl::Status FindAgainstStalledDaemon(const char* reply,
                                        std::chrono::nanoseconds* took) {
    FakeRoot root;
    const std::string sock = dir_ + "/docker.sock";
    FakeDocker docker(sock, [reply](const std::string&) { return reply; });
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<Container> c = FindContainer("web", Config(root, sock));
    *took = std::chrono::steady_clock::now() - start;
    return c.status();
  }
};

TEST_F(DockerTest, FoundByName) {
  FakeRoot root;
  const std::string sock = dir_ + "/docker.sock";
  FakeDocker docker(sock, WebOnly());
  absl::StatusOr<Container> c = FindContainer("web", Config(root, sock));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Describe(*c), absl::StrCat("docker|", kDockerId, "|web|||4321"));
  std::vector<std::string> reqs = docker.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_THAT(reqs[0], StartsWith("GET /containers/web/json HTTP/1.0\r\n"));
  EXPECT_THAT(reqs[0], HasSubstr("\r\nHost: "));
}

TEST_F(DockerTest, DockerHostWithoutScheme) {
  FakeRoot root;
  const std::string sock = dir_ + "/docker.sock";
  FakeDocker docker(sock, WebOnly());
  RuntimeConfig config = root.Config();
  config.docker_host = sock;
  absl::StatusOr<Container> c = FindContainer("web", config);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->runtime, "docker");
}

TEST_F(DockerTest, ReplyLargerThanOneRead) {
  FakeRoot root;
  const std::string sock = dir_ + "/docker.sock";
  // Far more than one read() buffer: the reply is read until EOF.
  FakeDocker docker(sock, [](const std::string&) {
    json j = json::parse(DockerInspectBody(kDockerId, "web", 77));
    j["Padding"] = std::string(100000, 'x');
    return HttpReply(200, "OK", j.dump());
  });
  absl::StatusOr<Container> c = FindContainer("web", Config(root, sock));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->pid, 77u);
}

TEST_F(DockerTest, NotDockersFallsThroughToState) {
  FakeRoot root;
  root.Populate();
  const std::string sock = dir_ + "/docker.sock";
  FakeDocker docker(sock, WebOnly());
  absl::StatusOr<Container> c = FindContainer("postgres", Config(root, sock));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->runtime, "containerd");
  EXPECT_EQ(docker.requests().size(), 1u);

  c = FindContainer("nosuch", Config(root, sock));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
  EXPECT_THAT(Msg(c.status()), HasSubstr("'nosuch'"));
}

TEST_F(DockerTest, DockerAndStateSameNameIsAmbiguous) {
  FakeRoot root;
  root.Podman(kPodmanId, "web", "301\n");
  const std::string sock = dir_ + "/docker.sock";
  FakeDocker docker(sock, WebOnly());
  absl::StatusOr<Container> c = FindContainer("web", Config(root, sock));
  ASSERT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition)
      << c.status();
  EXPECT_THAT(Msg(c.status()), StartsWith("ambiguous"));
  EXPECT_THAT(Msg(c.status()), HasSubstr("docker"));
  EXPECT_THAT(Msg(c.status()), HasSubstr("podman"));
}

TEST_F(DockerTest, SameIdInDockerAndStateCountsOnce) {
  FakeRoot root;
  // Docker's task seen in a containerd namespace other than "moby".
  root.Containerd("k8s.io", kDockerId, OciConfig({}), "4321\n");
  const std::string sock = dir_ + "/docker.sock";
  FakeDocker docker(sock, [web = WebOnly()](const std::string& r) {
    if (r.rfind(absl::StrCat("GET /containers/", kDockerId, "/json "), 0) ==
        0) {
      return HttpReply(200, "OK", DockerInspectBody(kDockerId, "web", 4321));
    }
    return web(r);
  });
  absl::StatusOr<Container> c = FindContainer(kDockerId, Config(root, sock));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->runtime, "docker");
  EXPECT_EQ(c->name, "web");
}

TEST_F(DockerTest, StoppedContainerIsNotRunning) {
  FakeRoot root;
  const std::string sock = dir_ + "/docker.sock";
  FakeDocker docker(sock, WebOnly(0));
  absl::StatusOr<Container> c = FindContainer("web", Config(root, sock));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound) << c.status();
  EXPECT_THAT(Msg(c.status()), HasSubstr("is not running"));
}

TEST_F(DockerTest, ExplicitSocketWithoutListenerIsUnavailable) {
  FakeRoot root;
  root.Populate();
  // Nothing there at all.
  absl::StatusOr<Container> c =
      FindContainer("postgres", Config(root, dir_ + "/none.sock"));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  EXPECT_THAT(Msg(c.status()), HasSubstr(dir_ + "/none.sock"));
  // A stale socket file whose daemon is gone.
  const std::string stale = dir_ + "/stale.sock";
  { FakeDocker gone(stale, WebOnly()); }
  ASSERT_NO_FATAL_FAILURE(StaleSocket(stale));
  c = FindContainer("postgres", Config(root, stale));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  unlink(stale.c_str());
  // Not a socket.
  WriteFile(dir_ + "/file.sock", "");
  c = FindContainer("postgres", Config(root, dir_ + "/file.sock"));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  unlink((dir_ + "/file.sock").c_str());
}

TEST_F(DockerTest, GarbageReplyIsDataLoss) {
  FakeRoot root;
  const std::string sock = dir_ + "/docker.sock";
  for (const std::string& reply :
       {std::string("garbage\n"), std::string("SSH-2.0-OpenSSH_9.6\r\n"),
        std::string("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"),
        std::string("HTTP/1.0 abc OK\r\n\r\n{}"), std::string("")}) {
    FakeDocker docker(sock, [&](const std::string&) { return reply; });
    absl::StatusOr<Container> c = FindContainer("web", Config(root, sock));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss)
        << "'" << reply << "': " << c.status();
  }
}

TEST_F(DockerTest, MalformedInspectBodyIsDataLoss) {
  FakeRoot root;
  const std::string sock = dir_ + "/docker.sock";
  for (const std::string& body :
       {std::string("not json"), std::string("{\"Id\": \"abc\"}"),
        std::string("[]")}) {
    FakeDocker docker(
        sock, [&](const std::string&) { return HttpReply(200, "OK", body); });
    absl::StatusOr<Container> c = FindContainer("web", Config(root, sock));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss)
        << "'" << body << "': " << c.status();
  }
}

TEST_F(DockerTest, ServerErrorIsUnavailable) {
  FakeRoot root;
  const std::string sock = dir_ + "/docker.sock";
  FakeDocker docker(sock, [](const std::string&) {
    return HttpReply(500, "Internal Server Error",
                     "{\"message\":\"daemon is shutting down\"}");
  });
  absl::StatusOr<Container> c = FindContainer("web", Config(root, sock));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  EXPECT_THAT(Msg(c.status()), HasSubstr("500"));
}

TEST_F(DockerTest, SilentDaemonIsUnavailableAfterTimeout) {
  std::chrono::nanoseconds took;
  const absl::Status s =
      FindAgainstStalledDaemon(FakeDocker::kSilent, &took);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_LT(took, std::chrono::seconds(15));
}

TEST_F(DockerTest, TricklingDaemonIsUnavailableAfterOneDeadline) {
  // A byte every 100 ms never lets a per-read timeout fire: the whole reply
  // has one deadline.
  std::chrono::nanoseconds took;
  const absl::Status s =
      FindAgainstStalledDaemon(FakeDocker::kTrickle, &took);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(Msg(s), HasSubstr("no complete reply in 5s"));
  EXPECT_LT(took, std::chrono::seconds(15));
}

TEST_F(DockerTest, DefaultSocketUnderHostRoot) {
  FakeRoot root(dir_);  // short: the socket path must fit in sun_path
  MakeDirs(root.path() + "/var/run");
  const std::string sock = root.path() + "/var/run/docker.sock";
  {
    FakeDocker docker(sock, WebOnly());
    absl::StatusOr<Container> c = FindContainer("web", root.Config());
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->runtime, "docker");
    EXPECT_EQ(docker.requests().size(), 1u);
  }
  // A default socket nobody answers on is not an error: Docker is just
  // not running there. Leave a stale socket file behind.
  ASSERT_NO_FATAL_FAILURE(StaleSocket(sock));
  root.Populate();
  absl::StatusOr<Container> c = FindContainer("postgres", root.Config());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->runtime, "containerd");
  EXPECT_EQ(FindContainer("web", root.Config()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DetectHostRootTest, Markers) {
  FakeRoot empty;
  EXPECT_EQ(DetectHostRoot(empty.path()), "/");
  EXPECT_EQ(DetectHostRoot(empty.path() + "/missing"), "/");

  FakeRoot containerd;
  MakeDirs(containerd.path() + "/run/containerd");
  EXPECT_EQ(DetectHostRoot(containerd.path()), containerd.path());

  FakeRoot crio;
  MakeDirs(crio.path() + "/run/containers/storage");
  EXPECT_EQ(DetectHostRoot(crio.path()), crio.path());

  FakeRoot kubelet;
  MakeDirs(kubelet.path() + "/var/lib/kubelet");
  EXPECT_EQ(DetectHostRoot(kubelet.path()), kubelet.path());

  FakeRoot docker;
  WriteFile(docker.path() + "/var/run/docker.sock", "");
  EXPECT_EQ(DetectHostRoot(docker.path()), docker.path());

  // Something else under run/ is not a node root.
  FakeRoot other;
  MakeDirs(other.path() + "/run/systemd");
  EXPECT_EQ(DetectHostRoot(other.path()), "/");
}

// --- podman kube play ------------------------------------------------------

// A pod as `podman kube play` (Podman 4.3) leaves it, byte for byte in the
// annotations that matter: config.json only in graphroot, the pid file in
// runroot, names in containers.json. Podman records no pod name or namespace
// (only io.kubernetes.cri-o.ContainerType and .SandboxID, and it drops
// metadata.namespace); it copies the pod's metadata.annotations into each
// container's config.json (not into the infra container's), so a pod
// carrying CRI-O's io.kubernetes.pod.name/.namespace is found by --pod.
TEST(FindPodTest, PodmanKubePlayPodByCrioPodAnnotations) {
  static constexpr char kInfra[] =
      "7f1b8be27e533ef5d068899368171797143d8ddd8e9ecbc791b5b01580ad2569";
  static constexpr char kApp[] =
      "f989eea6fac7ec5b0b42d0d4593e0acf623ad4ddc3b676c9be27751ca83ec330";
  static constexpr char kSide[] =
      "5097ed430788aa55bb66cc77dd88ee99ff00112233445566778899aabbccddee";
  auto podman = [](const std::map<std::string, std::string>& extra,
                   bool infra) {
    std::map<std::string, std::string> a = {
        {"io.container.manager", "libpod"},
        {"io.kubernetes.cri-o.Created", "2026-11-25T13:52:29.757053694Z"},
        {"io.podman.annotations.autoremove", "FALSE"},
        {"io.podman.annotations.init", "FALSE"},
        {"io.podman.annotations.privileged", "FALSE"},
        {"io.podman.annotations.publish-all", "FALSE"},
        {"org.opencontainers.image.stopSignal", "15"}};
    if (infra) {  // no ContainerType, and none of the pod's annotations
      a["io.kubernetes.cri-o.TTY"] = "false";
      return OciConfig(a);
    }
    a["io.kubernetes.cri-o.ContainerType"] = "container";
    a["io.kubernetes.cri-o.SandboxID"] = kInfra;
    for (const auto& [k, v] : extra) a[k] = v;
    return OciConfig(a);
  };
  for (bool annotated : {false, true}) {
    SCOPED_TRACE(annotated ? "with CRI-O pod annotations" : "as podman has it");
    std::map<std::string, std::string> pod;
    if (annotated) {
      pod = {{"io.kubernetes.pod.name", "web"},
             {"io.kubernetes.pod.namespace", "shop"}};
    }
    FakeRoot root;
    const std::string graph =
        root.path() + "/var/lib/containers/storage/overlay-containers/";
    const std::string run =
        root.path() + "/run/containers/storage/overlay-containers/";
    const std::vector<std::pair<std::string, std::string>> ids = {
        {kInfra, "706db6461131-infra"}, {kApp, "web-app"}, {kSide, "web-side"}};
    int pid = 4000;
    for (const auto& [id, name] : ids) {
      WriteFile(graph + id + "/userdata/config.json",
                podman(pod, std::string(id) == kInfra));
      WriteFile(run + id + "/userdata/pidfile", std::to_string(++pid));
    }
    root.PodmanIndex(ids);

    absl::StatusOr<Container> app = FindContainer("web-app", root.Config());
    ASSERT_TRUE(app.ok()) << app.status();
    EXPECT_EQ(Describe(*app),
              absl::StrCat("podman|", kApp, "|web-app|",
                           annotated ? "shop|web" : "|", "|4002"));
    absl::StatusOr<std::vector<Container>> found =
        FindPod("shop/web", root.Config());
    if (!annotated) {
      EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound)
          << found.status();
      continue;
    }
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_THAT(DescribeAll(*found),
                UnorderedElementsAre(
                    absl::StrCat("podman|", kApp, "|web-app|shop|web|4002"),
                    absl::StrCat("podman|", kSide, "|web-side|shop|web|4003")));
  }
}

}  // namespace
}  // namespace sysstream
