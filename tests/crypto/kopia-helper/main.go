// kopia-helper: answers batches of requests with kopia v0.15's own code (hashing, encryption,
// compression, splitters, key derivation) so the TypeScript implementation can be checked
// against the real thing. Built by tests/crypto/kopia-helper.ts in a temp module named under
// github.com/kopia/kopia so that kopia's internal packages are importable. Test-only.
//
// Protocol: stdin is a JSON array of requests, stdout a JSON array of responses (same order).
// All byte fields are standard base64.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"

	"github.com/chmduquesne/rollinghash/rabinkarp64"

	"github.com/kopia/kopia/internal/crypto"
	"github.com/kopia/kopia/internal/gather"
	"github.com/kopia/kopia/repo/compression"
	"github.com/kopia/kopia/repo/encryption"
	"github.com/kopia/kopia/repo/hashing"
	"github.com/kopia/kopia/repo/splitter"
)

type request struct {
	Op       string `json:"op"`
	Algo     string `json:"algo"`
	Secret   []byte `json:"secret"`
	Key      []byte `json:"key"`
	IV       []byte `json:"iv"`
	Salt     []byte `json:"salt"`
	Info     []byte `json:"info"`
	Data     []byte `json:"data"`
	Password string `json:"password"`
	Seed     int64  `json:"seed"`
	N        int    `json:"n"`
}

type response struct {
	Out   []byte `json:"out,omitempty"`
	Sizes []int  `json:"sizes,omitempty"`
	Err   string `json:"err,omitempty"`
}

type hashParams struct {
	algo   string
	secret []byte
}

func (p hashParams) GetHashFunction() string { return p.algo }
func (p hashParams) GetHmacSecret() []byte   { return p.secret }

type encParams struct {
	algo      string
	masterKey []byte
}

func (p encParams) GetEncryptionAlgorithm() string { return p.algo }
func (p encParams) GetMasterKey() []byte           { return p.masterKey }

func handle(r request) (response, error) {
	switch r.Op {
	case "hash":
		f, err := hashing.CreateHashFunc(hashParams{r.Algo, r.Secret})
		if err != nil {
			return response{}, err
		}
		return response{Out: f(nil, gather.FromSlice(r.Data))}, nil

	case "encrypt", "decrypt":
		e, err := encryption.CreateEncryptor(encParams{r.Algo, r.Key})
		if err != nil {
			return response{}, err
		}
		var out gather.WriteBuffer
		defer out.Close()
		if r.Op == "encrypt" {
			err = e.Encrypt(gather.FromSlice(r.Data), r.IV, &out)
		} else {
			err = e.Decrypt(gather.FromSlice(r.Data), r.IV, &out)
		}
		if err != nil {
			return response{}, err
		}
		return response{Out: out.ToByteSlice()}, nil

	case "compress":
		c := compression.ByName[compression.Name(r.Algo)]
		if c == nil {
			return response{}, fmt.Errorf("unknown compressor %q", r.Algo)
		}
		var out bytes.Buffer
		if err := c.Compress(&out, bytes.NewReader(r.Data)); err != nil {
			return response{}, err
		}
		return response{Out: out.Bytes()}, nil

	case "decompress":
		var out bytes.Buffer
		if err := compression.DecompressByHeader(&out, bytes.NewReader(r.Data)); err != nil {
			return response{}, err
		}
		return response{Out: out.Bytes()}, nil

	case "split":
		f := splitter.GetFactory(r.Algo)
		if f == nil {
			return response{}, fmt.Errorf("unknown splitter %q", r.Algo)
		}
		s := f()
		defer s.Close()
		sizes := []int{}
		data := r.Data
		for len(data) > 0 {
			n := s.NextSplitPoint(data)
			if n < 0 {
				sizes = append(sizes, len(data))
				break
			}
			sizes = append(sizes, n)
			data = data[n:]
		}
		return response{Sizes: sizes}, nil

	case "rabinkarp-polynomial":
		// The polynomial kopia's RABINKARP splitters use (rabinkarp64.New() = RandomPolynomial(1)).
		p, err := rabinkarp64.RandomPolynomial(1)
		if err != nil {
			return response{}, err
		}
		out := make([]byte, 8)
		for i := 0; i < 8; i++ {
			out[i] = byte(uint64(p) >> (56 - 8*i))
		}
		return response{Out: out}, nil

	case "rand":
		b := make([]byte, r.N)
		rand.New(rand.NewSource(r.Seed)).Read(b)
		return response{Out: b}, nil

	case "kdf":
		k, err := crypto.DeriveKeyFromPassword(r.Password, r.Salt, r.Algo)
		if err != nil {
			return response{}, err
		}
		return response{Out: k}, nil

	case "hkdf":
		return response{Out: crypto.DeriveKeyFromMasterKey(r.Key, r.Salt, r.Info, r.N)}, nil

	case "format-encrypt":
		out, err := crypto.EncryptAes256Gcm(r.Data, r.Key, r.Salt)
		return response{Out: out}, err

	case "format-decrypt":
		out, err := crypto.DecryptAes256Gcm(r.Data, r.Key, r.Salt)
		return response{Out: out}, err
	}
	return response{}, fmt.Errorf("unknown op %q", r.Op)
}

func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		fmt.Fprintln(os.Stderr, "bad request:", err)
		os.Exit(2)
	}
	resps := make([]response, len(reqs))
	for i, r := range reqs {
		resp, err := handle(r)
		if err != nil {
			resp = response{Err: err.Error()}
		}
		resps[i] = resp
	}
	if err := json.NewEncoder(os.Stdout).Encode(resps); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		os.Exit(2)
	}
}
