// Package open311 serves the Open311 GeoReport v2 API under /open311/v2/:
// discovery, services, service definitions, service requests (GET and
// POST), tokens, and the common extensions (page/page_size,
// updated_after/updated_before, extensions=true, coord, and FixMyStreet's
// servicerequestupdates). Every document is served as XML and as JSON.
//
// Identifiers: service_code is the category code; service_request_id is
// the case's numeric id. The receipt code is not published (it lets a
// citizen follow and rate their own case); it is told only to the
// submitter, in the POST's service_notice.
//
// Errors follow the specification: a list of code + description, 404 for
// an unknown service, request, token or jurisdiction, 403 for a missing or
// bad api_key, 400 for every other bad input; besides, 429 when a key
// exceeds its rate and 405 for a method the resource does not have.
package open311
