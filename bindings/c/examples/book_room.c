/* Book a room from C, then meet the conflict: the same rules the server
 * applies, on the same database.
 *
 *   cargo build -p booking-c
 *   gcc -std=c11 -Wall -Wextra -Werror bindings/c/examples/book_room.c \
 *       -Ibindings/c/include -Ltarget/debug -lbooking -o book_room
 *   LD_LIBRARY_PATH=target/debug ./book_room 'sqlite://rooms.db?mode=rwc'
 *
 * Exits 0 when every step behaved as the comments say. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "booking.h"

#define CHECK(call, want)                                                       \
  do {                                                                          \
    BkStatus got_ = (call);                                                     \
    if (got_ != (want)) {                                                       \
      fprintf(stderr, "%s:%d: %s gave %d, wanted %d: %s\n", __FILE__, __LINE__, \
              #call, (int)got_, (int)(want),                                    \
              bk_last_error() ? bk_last_error() : "(no message)");              \
      failures++;                                                               \
    }                                                                           \
  } while (0)

/* Open every day around the clock (00:00 closing means midnight). */
static const char *ALWAYS_OPEN =
    "{\"business_hours\":["
    "{\"open\":\"00:00:00\",\"close\":\"00:00:00\"},{\"open\":\"00:00:00\",\"close\":\"00:00:00\"},"
    "{\"open\":\"00:00:00\",\"close\":\"00:00:00\"},{\"open\":\"00:00:00\",\"close\":\"00:00:00\"},"
    "{\"open\":\"00:00:00\",\"close\":\"00:00:00\"},{\"open\":\"00:00:00\",\"close\":\"00:00:00\"},"
    "{\"open\":\"00:00:00\",\"close\":\"00:00:00\"}]}";

int main(int argc, char **argv) {
  int failures = 0;
  const char *url = argc > 1 ? argv[1] : "sqlite://book_room.db?mode=rwc";
  BkService *svc = NULL;
  CHECK(bk_open(url, &svc), BK_OK);
  if (!svc) return 1;

  char admin_email[64], user_email[64];
  snprintf(admin_email, sizeof admin_email, "admin-%ld@c.example", (long)time(NULL));
  snprintf(user_email, sizeof user_email, "ada-%ld@c.example", (long)time(NULL));
  char *admin = NULL, *ada = NULL, *room = NULL, *first = NULL, *second = NULL;
  CHECK(bk_create_user(svc, admin_email, "C Admin", "super_admin", &admin), BK_OK);
  CHECK(bk_create_user(svc, user_email, "Ada", "user", &ada), BK_OK);
  CHECK(bk_create_room(svc, admin, "C Lab", 6, "Europe/Berlin", ALWAYS_OPEN, &room), BK_OK);

  /* Two days ahead, on the hour, for an hour. */
  int64_t start = ((int64_t)time(NULL) / 3600 + 48) * 3600, end = start + 3600;
  CHECK(bk_book(svc, ada, room, "Compiler sync", 4, start, end, &first), BK_OK);
  printf("booked %s\n", first ? first : "(none)");

  /* The same hour again: refused, and the booking in the way is named. */
  CHECK(bk_book(svc, admin, room, "Overlap", 2, start + 1800, end + 1800, &second), BK_CONFLICT);
  const char *in_the_way = bk_last_conflict();
  printf("conflict: %s\n", bk_last_error() ? bk_last_error() : "(no message)");
  if (!in_the_way || !first || strcmp(in_the_way, first) != 0) {
    fprintf(stderr, "the conflict should name %s\n", first ? first : "(none)");
    failures++;
  }

  /* Read it back: Unix seconds and the room's zone. */
  BkBooking *b = NULL;
  CHECK(bk_get_booking(svc, first, &b), BK_OK);
  if (b) {
    printf("%s in %s, %lld-%lld (%s), %s\n", b->title, b->time_zone, (long long)b->start,
           (long long)b->end, b->status, b->id);
    if (b->start != start || strcmp(b->status, "approved") != 0) failures++;
    bk_booking_free(b);
  }

  /* Bad input names the field; nothing is written. */
  CHECK(bk_book(svc, ada, room, NULL, 1, start, end, &second), BK_INVALID_INPUT);
  CHECK(bk_book(svc, ada, "not-a-room", "x", 1, start, end, &second), BK_INVALID_INPUT);
  CHECK(bk_create_room(svc, ada, "Mine", 2, "Europe/Berlin", NULL, &second), BK_FORBIDDEN);
  CHECK(bk_create_room(svc, admin, "Bad", 2, "Mars/Olympus", NULL, &second), BK_INVALID_INPUT);
  CHECK(bk_book(svc, ada, room, "Too many", 60, start + 7200, end + 7200, &second), BK_RULE);

  /* A wall-clock time that does not exist: the spring-forward gap in Berlin. */
  int64_t t = 0;
  CHECK(bk_local_to_unix("Europe/Berlin", "2027-03-28", 2, 30, &t), BK_INVALID_INPUT);
  CHECK(bk_local_to_unix("Europe/Berlin", "2027-03-28", 3, 30, &t), BK_OK);
  if (t != 1806197400) failures++; /* 01:30 UTC */

  /* Cancel, and the hour is free again. */
  CHECK(bk_cancel(svc, ada, first), BK_OK);
  CHECK(bk_book(svc, admin, room, "Overlap", 2, start + 1800, end + 1800, &second), BK_OK);

  bk_string_free(admin);
  bk_string_free(ada);
  bk_string_free(room);
  bk_string_free(first);
  bk_string_free(second);
  bk_close(svc);
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("all checks passed\n");
  return failures ? 1 : 0;
}
