package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wardhq/ward/client"
)

// A Go service reads its database credentials at start-up.
func Example() {
	c, err := client.New(client.DefaultConfig()) // WARD_ADDR, WARD_TOKEN or ~/.ward/token
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.Secret(context.Background(), "staging", "payments/db")
	if err != nil {
		log.Fatal(err) // names the path and the status, never a value
	}
	var db struct {
		Host     string `json:"host"`
		Port     int    `json:"port"`
		Password string `json:"password"`
	}
	if err := s.Decode(&db); err != nil {
		log.Fatal(err)
	}
	fmt.Println("connecting to", db.Host)
}
