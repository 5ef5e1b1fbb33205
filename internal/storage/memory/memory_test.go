package memory_test

import (
	"testing"

	"github.com/wardhq/ward/internal/storage"
	"github.com/wardhq/ward/internal/storage/memory"
	"github.com/wardhq/ward/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend { return memory.New() })
}

func TestDumper(t *testing.T) {
	storagetest.RunDumper(t, func(t *testing.T) storage.Backend { return memory.New() })
}

func TestViewer(t *testing.T) {
	storagetest.RunViewer(t, func(t *testing.T) storage.Backend { return memory.New() })
}
