package config_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/voipsdn/voipsdn/faucet/config"
)

func ExampleLoadFile() {
	cfg, err := config.LoadFile("../../examples/faucet.yaml")
	if err != nil {
		log.Fatal(err) // an Errors value: one "file:line:col: path: message" per problem
	}
	dp := cfg.DP("sw1")
	pbx := dp.PortByName("pbx")
	fmt.Println(dp.ID, pbx.Number, pbx.NativeVLAN.Name, len(dp.VLAN(200).Ports()))
	// Output: 1 23 voice 12
}

func ExampleReloader() {
	dir, _ := os.MkdirTemp("", "voipsdn")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "faucet.yaml")
	_ = os.WriteFile(path, []byte("vlans: {office: {vid: 100}}\ndps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}}}}\n"), 0o644)

	r := config.NewReloader(path, config.WithApply(func(_ context.Context, old, new *config.Config, cs *config.ChangeSet) error {
		return nil // program the switches here; an error keeps the old config
	}))
	if _, err := r.Reload(context.Background()); err != nil { // at start-up, and on SIGHUP
		log.Fatal(err)
	}
	_ = os.WriteFile(path, []byte("vlans: {office: {vid: 100}}\ndps: {sw1: {dp_id: 1, interfaces: {1: {native_vlan: office}, 2: {native_vlan: office}}}}\n"), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Watch(ctx, 10*time.Millisecond, func(ev config.ReloadEvent) {
			if ev.Err == nil {
				fmt.Println("ports added on sw1:", ev.Changes.DP("sw1").Ports.Added)
			}
			cancel()
		})
	}()
	<-done
	// Output: ports added on sw1: [2]
}
