// OpenSSL's libcrypto, which libpq links already (libssl-dev comes with libpq-dev): SHA-256 for
// migration checksums and name hashes. The include path comes from pkg-config (libcrypto.pc).
//
// The low-level SHA256_Init/Update/Final, deprecated since OpenSSL 3.0 in favour of EVP but still
// there: the one-shot SHA256() and EVP load the default provider on first use, which kept much
// more of libcrypto's code resident in the server (figures in the commit that made this choice).
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
