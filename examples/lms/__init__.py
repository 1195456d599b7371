"""A learning-management API with real behaviour under load: the bundled example target.

Learners log in, browse courses, read lessons and take quizzes; admins enroll users in bursts and
pull reports. The reports run genuine unindexed aggregate queries, the database sits behind a
small connection pool and one worker serves it all, so a stress test meets a real knee.
"""
