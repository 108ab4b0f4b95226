// cnirunner: a cnitool-compatible runner built on the real libcni (1.1.2), used by BlackBoxTests.
//
// Build (offline, GOPATH mode against Debian's golang-github-appc-cni-dev), from the package root:
//
//	GO111MODULE=off GOPATH=$PWD/.build/gopath:/usr/share/gocode GOCACHE=$PWD/.build/gocache go build -o .build/cnirunner ./Tests/cnirunner
//
// Usage (like upstream cnitool, which can stand in for add/check/del):
//
//	cnirunner add|check|del NAME NETNS
//	cnirunner status NAME
//	cnirunner gc NAME [CONTAINERID/IFNAME ...]
//	cnirunner version NAME
//
// Environment:
//
//	NETCONFPATH     directory of *.conflist / *.conf / *.json (default /etc/cni/net.d)
//	CNI_PATH        plugin search path (colon separated)
//	CNI_ARGS        "K=V;K=V" passed through to the plugins (Multus: IgnoreUnknown=true;K8S_POD_NAME=...)
//	CAP_ARGS        JSON object of capability args, e.g. {"mac":"c2:11:22:33:44:55"}
//	CNI_IFNAME      interface name (default eth0)
//	CNI_CONTAINERID container id override (default: cnitool's "cnitool-" + hex(sha512(netns)[:10]))
//	CNI_CACHE_DIR   libcni cache dir (default libcni's /var/lib/cni)
//
// Output: the ADD result JSON on stdout. On failure the error goes to stderr and the exit code is 1;
// when the failure is a CNI error returned by a plugin, its error JSON ({"code","msg","details"})
// is also printed on stdout so that tests can assert the code.
//
// libcni 1.1.2 has no STATUS or GC (spec 1.1.0): `status` and `gc` run every plugin of the list
// directly with CNI_COMMAND=STATUS/GC, the plugin's config with cniVersion forced to "1.1.0" and, for
// GC, "cni.dev/valid-attachments" (and "cni.dev/attachments") set to the given attachments.
package main

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
)

const (
	envCNIPath     = "CNI_PATH"
	envNetDir      = "NETCONFPATH"
	envCapArgs     = "CAP_ARGS"
	envCNIArgs     = "CNI_ARGS"
	envIfName      = "CNI_IFNAME"
	envContainerID = "CNI_CONTAINERID"
	envCacheDir    = "CNI_CACHE_DIR"
	defaultNetDir  = "/etc/cni/net.d"
	forcedVersion  = "1.1.0"
)

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	cmd, name := os.Args[1], os.Args[2]

	netdir := os.Getenv(envNetDir)
	if netdir == "" {
		netdir = defaultNetDir
	}
	list, err := libcni.LoadConfList(netdir, name)
	if err != nil {
		exit(err)
	}
	paths := filepath.SplitList(os.Getenv(envCNIPath))
	cninet := newCNIConfig(paths)
	ctx := context.TODO()

	switch cmd {
	case "add", "check", "del":
		if len(os.Args) < 4 {
			usage()
		}
		rt, err := runtimeConf(os.Args[3])
		if err != nil {
			exit(err)
		}
		switch cmd {
		case "add":
			result, err := cninet.AddNetworkList(ctx, list, rt)
			if result != nil {
				_ = result.Print()
			}
			exit(err)
		case "check":
			exit(cninet.CheckNetworkList(ctx, list, rt))
		default:
			exit(cninet.DelNetworkList(ctx, list, rt))
		}
	case "status":
		exit(runEach(ctx, list, paths, "STATUS", nil))
	case "gc":
		attachments, err := parseAttachments(os.Args[3:])
		if err != nil {
			exit(err)
		}
		exit(runEach(ctx, list, paths, "GC", attachments))
	case "version":
		exit(versions(ctx, list, paths))
	default:
		usage()
	}
}

func newCNIConfig(paths []string) *libcni.CNIConfig {
	if dir := os.Getenv(envCacheDir); dir != "" {
		return libcni.NewCNIConfigWithCacheDir(paths, dir, nil)
	}
	return libcni.NewCNIConfig(paths, nil)
}

// runtimeConf builds the RuntimeConf exactly like cnitool, plus the CNI_CONTAINERID override.
func runtimeConf(netnsArg string) (*libcni.RuntimeConf, error) {
	netns, err := filepath.Abs(netnsArg)
	if err != nil {
		return nil, err
	}
	var capArgs map[string]interface{}
	if v := os.Getenv(envCapArgs); v != "" {
		if err := json.Unmarshal([]byte(v), &capArgs); err != nil {
			return nil, fmt.Errorf("CAP_ARGS: %w", err)
		}
	}
	var cniArgs [][2]string
	if v := os.Getenv(envCNIArgs); v != "" {
		if cniArgs, err = parseArgs(v); err != nil {
			return nil, err
		}
	}
	ifName, ok := os.LookupEnv(envIfName)
	if !ok {
		ifName = "eth0"
	}
	containerID := os.Getenv(envContainerID)
	if containerID == "" {
		s := sha512.Sum512([]byte(netns))
		containerID = fmt.Sprintf("cnitool-%x", s[:10])
	}
	return &libcni.RuntimeConf{
		ContainerID:    containerID,
		NetNS:          netns,
		IfName:         ifName,
		Args:           cniArgs,
		CapabilityArgs: capArgs,
	}, nil
}

func parseArgs(args string) ([][2]string, error) {
	var result [][2]string
	for _, pair := range strings.Split(args, ";") {
		kv := strings.Split(pair, "=")
		if len(kv) != 2 || kv[0] == "" || kv[1] == "" {
			return nil, fmt.Errorf("invalid CNI_ARGS pair %q", pair)
		}
		result = append(result, [2]string{kv[0], kv[1]})
	}
	return result, nil
}

type attachment struct {
	ContainerID string `json:"containerID"`
	IfName      string `json:"ifname"`
}

func parseAttachments(args []string) ([]attachment, error) {
	out := []attachment{}
	for _, a := range args {
		i := strings.LastIndex(a, "/")
		if i <= 0 || i == len(a)-1 {
			return nil, fmt.Errorf("invalid attachment %q, want CONTAINERID/IFNAME", a)
		}
		out = append(out, attachment{ContainerID: a[:i], IfName: a[i+1:]})
	}
	return out, nil
}

// pluginConf is one plugin's config as the plugin sees it: name and cniVersion of the list, forced
// to 1.1.0, plus the GC attachments when given.
func pluginConf(list *libcni.NetworkConfigList, plugin *libcni.NetworkConfig, attachments []attachment) ([]byte, error) {
	conf := map[string]interface{}{}
	if err := json.Unmarshal(plugin.Bytes, &conf); err != nil {
		return nil, err
	}
	conf["name"] = list.Name
	conf["cniVersion"] = forcedVersion
	if attachments != nil {
		conf["cni.dev/valid-attachments"] = attachments
		conf["cni.dev/attachments"] = attachments
	}
	return json.Marshal(conf)
}

// runEach executes STATUS or GC on every plugin of the list, in order, stopping at the first error.
func runEach(ctx context.Context, list *libcni.NetworkConfigList, paths []string, command string, attachments []attachment) error {
	exec := &invoke.RawExec{Stderr: os.Stderr}
	for _, plugin := range list.Plugins {
		pluginPath, err := exec.FindInPath(plugin.Network.Type, paths)
		if err != nil {
			return err
		}
		conf, err := pluginConf(list, plugin, attachments)
		if err != nil {
			return err
		}
		args := &invoke.Args{Command: command, Path: strings.Join(paths, string(os.PathListSeparator))}
		if _, err := exec.ExecPlugin(ctx, pluginPath, conf, args.AsEnv()); err != nil {
			return fmt.Errorf("plugin type=%q failed (%s): %w", plugin.Network.Type, strings.ToLower(command), err)
		}
	}
	return nil
}

// versions prints, for every plugin of the list, its raw VERSION answer.
func versions(ctx context.Context, list *libcni.NetworkConfigList, paths []string) error {
	exec := &invoke.RawExec{Stderr: os.Stderr}
	type answer struct {
		Type    string          `json:"type"`
		Version json.RawMessage `json:"version"`
	}
	answers := []answer{}
	for _, plugin := range list.Plugins {
		pluginPath, err := exec.FindInPath(plugin.Network.Type, paths)
		if err != nil {
			return err
		}
		stdin := []byte(fmt.Sprintf(`{"cniVersion":%q}`, list.CNIVersion))
		args := &invoke.Args{Command: "VERSION", NetNS: "dummy", IfName: "dummy",
			Path: strings.Join(paths, string(os.PathListSeparator))}
		out, err := exec.ExecPlugin(ctx, pluginPath, stdin, args.AsEnv())
		if err != nil {
			return fmt.Errorf("plugin type=%q failed (version): %w", plugin.Network.Type, err)
		}
		if !json.Valid(out) {
			return fmt.Errorf("plugin type=%q: VERSION answer is not JSON: %q", plugin.Network.Type, out)
		}
		answers = append(answers, answer{Type: plugin.Network.Type, Version: json.RawMessage(out)})
	}
	b, err := json.MarshalIndent(answers, "", "    ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

func usage() {
	exe := filepath.Base(os.Args[0])
	fmt.Fprintf(os.Stderr, "%s: run a CNI network (conflist) through libcni\n", exe)
	fmt.Fprintf(os.Stderr, "  %s add|check|del <net> <netns>\n", exe)
	fmt.Fprintf(os.Stderr, "  %s status <net>\n", exe)
	fmt.Fprintf(os.Stderr, "  %s gc <net> [<containerID>/<ifname> ...]\n", exe)
	fmt.Fprintf(os.Stderr, "  %s version <net>\n", exe)
	os.Exit(1)
}

// exit prints err on stderr and, when it is (or wraps) a plugin's CNI error, its JSON on stdout.
func exit(err error) {
	if err == nil {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "%s\n", err)
	var cniErr *types.Error
	if errors.As(err, &cniErr) {
		if b, jerr := json.Marshal(cniErr); jerr == nil {
			fmt.Println(string(b))
		}
	}
	os.Exit(1)
}
