// The error categories the engine's I/O paths meet, touched once at start.
//
// Why: UBSan's vptr check (the sanitizer builds) verifies a polymorphic
// object the first time it sees its (dynamic type, static type) pair, and it
// first probes the vtable's memory through a pipe (GCC 12's libsanitizer,
// IsAccessibleMemoryRange). With every descriptor in use that pipe fails with
// EMFILE, and a perfectly valid error_category is reported as "does not point
// to an object of type 'error_category'". Pairs it has verified are cached
// for the life of the process, so a member call on each category while
// descriptors are free keeps the out-of-descriptors paths (the accept back
// off, the sessions that end meanwhile) clean. Harmless without UBSan.
#pragma once

namespace sr::proxy {

void prime_error_categories();

}  // namespace sr::proxy
